using GRump.Gateway.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(SharedGateway))]
[assembly: SharedGatewayErrors]
