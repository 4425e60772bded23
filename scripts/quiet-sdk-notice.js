// The AWS SDK warns on every start that releases after January 2027 need Node.js 22. Local users
// and benchmark readers can do nothing about it mid-run (the Lambdas run Node.js 22), so this one
// warning is dropped; every other warning still prints. Loaded with `node -r` or require().
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  // The SDK emits it as a plain string starting with its name.
  const text = typeof warning === "string" ? warning : String(warning && warning.message);
  if (text.startsWith("NodeVersionSupportWarning")) return;
  emitWarning(warning, ...rest);
};
