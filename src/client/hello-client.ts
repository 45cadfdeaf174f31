import { type CallOptions, Metadata, type ServiceError } from '@grpc/grpc-js';
import { HelloServiceClient, type StreamHelloResponse } from '../gen/wid/demo/v1/hello.js';

/** Promise wrappers over the generated client, for the client program, the demo and tests. */
export type UnaryMethod = 'publicHello' | 'privateHello';

export function callUnary(client: HelloServiceClient, method: UnaryMethod, name: string, options: Partial<CallOptions> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    client[method]({ name }, new Metadata(), options, (error: ServiceError | null, response) => (error ? reject(error) : resolve(response.message)));
  });
}

export function collectStream(
  client: HelloServiceClient,
  request: { name: string; count: number; intervalMs: number },
  options: Partial<CallOptions> = {},
  onMessage: (message: StreamHelloResponse) => void = () => {},
): Promise<StreamHelloResponse[]> {
  return new Promise((resolve, reject) => {
    const received: StreamHelloResponse[] = [];
    const stream = client.streamHello(request, new Metadata(), options);
    stream.on('data', (message: StreamHelloResponse) => {
      received.push(message);
      onMessage(message);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(received));
  });
}

export { HelloServiceClient };
