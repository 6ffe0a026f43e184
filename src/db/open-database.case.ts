import { createDatabase } from './create-database.js';

// Test fixture (a .case file: kept out of the build): one process that opens, and so migrates,
// the database named by its argument, as a server or worker does at start.
const { db } = await createDatabase(process.argv[2] ?? '');
await db.destroy();
