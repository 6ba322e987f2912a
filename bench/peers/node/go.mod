// This directory is the node peer (npm), not Go: this file keeps it, and the
// Go sources some npm packages ship in node_modules, out of the bench module.
module nodepeer

go 1.26.0
