// Server-Sent Events over fetch, so the request carries the API key in its Authorization
// header (EventSource cannot send headers, and a key never goes into a URL).
import { getKey } from "./auth";

export interface ServerEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Reads `url` as an event stream until it ends or `signal` aborts; resolves when it ends. */
export async function readEventStream(
  url: string,
  onEvent: (event: ServerEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const headers: Record<string, string> = { Accept: "text/event-stream" };
  const key = getKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const response = await fetch(url, { headers, signal, cache: "no-store" });
  if (!response.ok || !response.body) {
    throw new Error(`the run stream answered ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const parsed = parseBlock(block);
      if (parsed) onEvent(parsed);
      end = buffer.indexOf("\n\n");
    }
  }
}

export function parseBlock(block: string): ServerEvent | null {
  let event = "message";
  let id: string | null = null;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  return data.length || event !== "message" ? { event, data: data.join("\n"), id } : null;
}
