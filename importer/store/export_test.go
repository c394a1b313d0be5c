package store

// LockMigrations lets the tests play another instance that is migrating
// the database.
var LockMigrations = (*Store).lockMigrations
