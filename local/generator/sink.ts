// Where generated files go. The file sink buffers text and writes it in large chunks, which is
// what lets the generator write a million rows in a few seconds; the memory sink feeds tests.
import { closeSync, mkdirSync, openSync, writeSync } from "fs";
import { dirname, join } from "path";

export interface Sink {
  /** Starts a file; `key` is the object key relative to the output root ("orders/LOAD00000001.csv"). */
  open(key: string): void;
  write(text: string): void;
  close(): void;
}

const CHUNK_CHARS = 1 << 20;

export class FileSink implements Sink {
  readonly paths: string[] = [];
  private fd: number | null = null;
  private buffer: string[] = [];
  private buffered = 0;

  constructor(private readonly root: string) {}

  open(key: string): void {
    const path = join(this.root, key);
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, "w");
    this.paths.push(path);
  }

  write(text: string): void {
    this.buffer.push(text);
    this.buffered += text.length;
    if (this.buffered >= CHUNK_CHARS) this.flush();
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private flush(): void {
    if (this.fd === null || this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(""));
    this.buffer = [];
    this.buffered = 0;
  }
}

export interface MemoryFile {
  key: string;
  content: string;
}

export class MemorySink implements Sink {
  readonly files: MemoryFile[] = [];
  private parts: string[] = [];

  open(key: string): void {
    this.files.push({ key, content: "" });
    this.parts = [];
  }

  write(text: string): void {
    this.parts.push(text);
  }

  close(): void {
    this.files[this.files.length - 1].content = this.parts.join("");
    this.parts = [];
  }
}
