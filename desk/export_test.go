package desk

// ImportRun is importRun, for the tests to learn which problems a file
// has, as refdata finds them.
var ImportRun = importRun
