// Fenced example blocks of the docs (`example=NAME file=PATH`, or a bare role word such as
// `expect`): the docs tests write, load and check them.

export interface Block {
  example: string;
  file?: string;
  role?: string;
  body: string;
}

/** Fenced blocks whose info string carries `example=NAME`, with `file=PATH` or a bare role word. */
export function exampleBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  for (const m of markdown.matchAll(/^```\w* ([^\n]*example=[^\n]*)\n([\s\S]*?)^```$/gm)) {
    const attrs = m[1].split(/\s+/);
    const get = (k: string) => attrs.find((a) => a.startsWith(`${k}=`))?.slice(k.length + 1);
    blocks.push({ example: get("example")!, file: get("file"), role: attrs.find((a) => !a.includes("=")), body: m[2] });
  }
  return blocks;
}
