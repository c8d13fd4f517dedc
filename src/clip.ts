/** `text` cut to at most `max` characters, ending in an ellipsis when cut. Pure: workflows use it too. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
