using GRump.Gateway.V1;

namespace GRump.Gateway.Services;

// The contract's services whose features are still to be built. Registered so that reflection, `buf curl
// --list-methods` and REST routes show the whole API; every method answers UNIMPLEMENTED (the generated base class)
// with a message from GatewayExceptionInterceptor — never fake data. Each moves to its own file when its feature lands.



internal sealed class WorkflowGrpcService : WorkflowService.WorkflowServiceBase;
