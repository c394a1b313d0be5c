package store

// LockMigrations lets the tests play another instance that is migrating
// the database.
var LockMigrations = (*Store).lockMigrations

// Rebind is how the store writes its placeholders for either database.
var Rebind = rebind
