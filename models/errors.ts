/** A model spec that cannot be used. The message names the file and the field. */
export class ModelSpecError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field}: ${problem}`);
    this.name = "ModelSpecError";
  }
}
