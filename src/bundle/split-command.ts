// Moved to domain/ (the entry point's file check reads commands too); kept for existing imports.
export { splitCommand, type SplitCommandResult } from '../domain/split-command.js';
