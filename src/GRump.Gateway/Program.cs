using GRump.Gateway.Auth;
using GRump.Gateway.Caching;
using GRump.Gateway.Chat;
using GRump.Gateway.Dashboard;
using GRump.Gateway.Diagnostics;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Endpoints;
using GRump.Gateway.Hosting;
using GRump.Gateway.Intent;
using GRump.Gateway.Routing;
using GRump.Gateway.Workers;
using GRump.Gateway.Workflows;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayHosting();
builder.Services.AddGatewayTelemetry(builder.Configuration);
builder.Services.AddGatewayGrpc();
builder.Services.AddWorkerPool();
builder.Services.AddIntentCompiler();
builder.Services.AddApiKeyAuth();
builder.Services.AddModelRouting();
builder.Services.AddTieredCache();
builder.Services.AddChat(builder.Configuration);
builder.Services.AddEmbeddings();
builder.Services.AddDashboard();
builder.Services.AddWorkflows();

return await builder.BuildAndRunGatewayAsync(app => app.MapGatewayEndpoints());
