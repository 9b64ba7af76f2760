/** One YAML scalar as the bot corpora in ../shared/validation/bots write it: plain, 'single' ('' escapes) or "double" (backslash escapes). */
export function yamlScalar(raw: string): string {
  const text = raw.trim();
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2)
    return text.slice(1, -1).replaceAll("''", "'");
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2)
    return JSON.parse(text.replaceAll("\\/", "/"));
  return text;
}
