using GRump.Gateway;
using GRump.Gateway.Dashboard;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Hosting;
using GRump.Gateway.Passthrough;

// The core (Core's AddGrumpGateway: one Add per feature) and the host's doors: gRPC with its interceptors, the
// passthrough, the dashboard and telemetry. MapGatewayEndpoints maps every door.
var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayHosting();
builder.Services.AddGatewayTelemetry(builder.Configuration);
builder.Services.AddGrumpGateway(builder.Configuration);
builder.Services.AddGatewayGrpc();
builder.Services.AddPassthrough();
builder.Services.AddDashboard();

return await builder.BuildAndRunGatewayAsync(app => app.MapGatewayEndpoints());
