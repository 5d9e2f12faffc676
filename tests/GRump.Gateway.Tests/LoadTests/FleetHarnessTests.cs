using GRump.LoadTests.Fleet;

namespace GRump.Gateway.Tests.LoadTests;

public sealed class FleetHarnessTests
{
    [Fact]
    public void ServerStates_StatsCsv_ReadsEachServerOfEachBackend()
    {
        // Arrange: the head of HAProxy 2.6's stats CSV (columns cut after status).
        const string csv = """
            # pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status
            grpc,FRONTEND,,,0,1,4096,3,0,0,0,0,0,,,,,OPEN
            grpc_replicas,g1,0,0,0,1,,3,0,0,,0,,0,0,0,0,UP
            grpc_replicas,g2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN
            grpc_replicas,BACKEND,0,0,0,1,410,3,0,0,0,0,,0,0,0,0,UP
            http_replicas,g2,0,0,0,0,,0,0,0,,0,,0,0,0,0,UP 1/2
            """;

        // Act
        var states = HaProxyConfig.ServerStates(csv);

        // Assert
        Assert.Equal("UP", states[("grpc_replicas", "g1")]);
        Assert.Equal("DOWN", states[("grpc_replicas", "g2")]);
        Assert.Equal("UP 1/2", states[("http_replicas", "g2")]);
        Assert.Equal(3, states.Count);
    }
}
