using GRump.Gateway;
using GRump.Gateway.Dashboard;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Hosting;
using GRump.Gateway.Passthrough;

// The core (Core's AddGrumpGateway: one Add per feature) and the host's doors: gRPC with its interceptors, the
// passthrough, the dashboard and telemetry. MapGatewayEndpoints maps every door.
// No configuration reload: nothing reads options again after start, and reloading appsettings.json means a file watcher
// over the whole content root, subfolders included, which wakes for every write under ./data (the ledger's WAL, the
// L3 cache): ~8 % of a core at 1,000 chat calls per second (docs/performance.md). First, so a caller can still turn it on.
// The slim builder: no IIS integration, QUIC, hosting-startup scan, HTTPS-from-configuration or Debug logger, none of
// which a gateway that configures its own plain-text endpoints uses; each loaded and stayed resident (issue 22,
// docs/performance.md "What loads at start").
var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
builder.Logging.AddEventSourceLogger(); // as CreateBuilder has it: dotnet-trace and dotnet-monitor read logs through it
builder.AddGatewayHosting();
builder.Services.AddGatewayTelemetry(builder.Configuration);
builder.Services.AddGrumpGateway(builder.Configuration);
builder.Services.AddGatewayGrpc();
builder.Services.AddPassthrough();
builder.Services.AddDashboard();

return await builder.BuildAndRunGatewayAsync(app => app.MapGatewayEndpoints());
