/** The version these functions report at /admin/version (kept equal to package.json's by a unit test). */
export const VERSION = '0.1.0';
