// Types of bin/cli-bundle.js (plain JavaScript: it runs before any TypeScript loader), for tools and tests.
export declare const BUNDLE_DIR: string;
export declare const BUNDLE_ENTRY: string;
export declare const INPUTS_FILE: string;
export declare const BUNDLE_EXTRA_INPUTS: readonly string[];
export declare function freshBundle(root: string, dir?: string): string | null;
