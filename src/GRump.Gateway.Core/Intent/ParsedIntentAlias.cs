// Temporary while the Intent domain type lands on another branch: removed at that merge.
global using ParsedIntent = GRump.Gateway.V1.Intent;
