/** The lab's version, written into every bundle; a test keeps it equal to package.json's. */
export const LAB_VERSION = '0.1.0';
