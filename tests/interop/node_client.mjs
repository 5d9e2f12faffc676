// A Node gRPC client of the gateway (@grpc/grpc-js + @grpc/proto-loader), driven by the interop tests.
// usage: node node_client.mjs <host:port> <protos dir> <google/api protos dir> <text>
// Prints the ParseIntent response as JSON; exits non-zero on any error.
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [target, protosDir, googleDir, text] = process.argv.slice(2);
const definition = protoLoader.loadSync('grump/gateway/v1/intent.proto', {
  includeDirs: [protosDir, googleDir],
  longs: String,
  enums: String,
  defaults: true,
});
const { IntentService } = grpc.loadPackageDefinition(definition).grump.gateway.v1;
const client = new IntentService(target, grpc.credentials.createInsecure());
const deadline = new Date(Date.now() + 20_000);

client.ParseIntent({ raw: text }, { deadline }, (error, response) => {
  client.close();
  if (error) {
    console.error(`ParseIntent failed: ${error.code} ${error.details}`);
    process.exit(1);
  }
  console.log(JSON.stringify(response));
});
