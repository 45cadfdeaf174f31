package io.github.grpcworkloadidentity.examples;

import com.google.protobuf.Descriptors.MethodDescriptor;
import io.github.grpcworkloadidentity.wid.auth.v1.OptionsProto;
import io.github.grpcworkloadidentity.wid.demo.v1.HelloProto;
import io.github.grpcworkloadidentity.wid.demo.v1.HelloServiceGrpc;
import io.github.grpcworkloadidentity.wid.demo.v1.PrivateHelloRequest;
import io.github.grpcworkloadidentity.wid.demo.v1.PublicHelloRequest;
import io.github.grpcworkloadidentity.wid.demo.v1.StreamHelloRequest;
import io.github.grpcworkloadidentity.wid.demo.v1.WhoAmIRequest;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Calls the reference HelloService with the pod's projected service-account token.
 *
 * <pre>
 *   SERVICE_ENDPOINT   host:port of the server (default localhost:50051)
 *   TOKEN_FILE         projected token path (default /var/run/secrets/tokens/gke-sa)
 *   CA_FILE            PEM CA bundle for the server certificate (default: system roots)
 *   PLAINTEXT          true sends the token without TLS (local development only)
 *   WAIT_FOR_ROTATION  true keeps calling WhoAmI until the token file holds another identity
 * </pre>
 */
public final class HelloClient {
  private HelloClient() {}

  public static void main(String[] args) throws Exception {
    String endpoint = setting("SERVICE_ENDPOINT", "localhost:50051");
    CallCredentials withToken = new TokenFileCallCredentials(Path.of(setting("TOKEN_FILE", "/var/run/secrets/tokens/gke-sa")));

    // The (wid.auth.v1.public) option travels in the generated descriptors.
    System.out.printf("options: PublicHello public=%s, PrivateHello public=%s%n", isPublic("PublicHello"), isPublic("PrivateHello"));

    ManagedChannel channel = Grpc.newChannelBuilder(endpoint, transport()).build();
    try {
      HelloServiceGrpc.HelloServiceBlockingStub stub = HelloServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      HelloServiceGrpc.HelloServiceBlockingStub authenticated = stub.withCallCredentials(withToken);

      String call = "PublicHello";
      try {
        System.out.println("PublicHello: OK " + stub.publicHello(PublicHelloRequest.newBuilder().setName("java").build()).getMessage());
        try {
          stub.privateHello(PrivateHelloRequest.newBuilder().setName("java").build());
          System.out.println("PrivateHello without token: OK");
        } catch (StatusRuntimeException e) {
          System.out.println("PrivateHello without token: " + e.getStatus().getCode());
        }
        call = "PrivateHello";
        System.out.println("PrivateHello: OK " + authenticated.privateHello(PrivateHelloRequest.newBuilder().setName("java").build()).getMessage());
        call = "StreamHello";
        List<String> sequences = new ArrayList<>();
        authenticated.streamHello(StreamHelloRequest.newBuilder().setName("java").setCount(3).setIntervalMs(10).build())
            .forEachRemaining(message -> sequences.add(Integer.toString(message.getSequence())));
        System.out.printf("StreamHello: %d messages (%s)%n", sequences.size(), String.join(",", sequences));
        call = "WhoAmI";
        String first = authenticated.whoAmI(WhoAmIRequest.getDefaultInstance()).getSubject();
        System.out.println("WhoAmI: " + first);
        if ("true".equals(System.getenv("WAIT_FOR_ROTATION"))) {
          call = "WhoAmI after rotation";
          while (true) {
            Thread.sleep(100);
            String now = authenticated.whoAmI(WhoAmIRequest.getDefaultInstance()).getSubject();
            if (!now.equals(first)) {
              System.out.println("WhoAmI after rotation: " + now);
              break;
            }
          }
        }
      } catch (StatusRuntimeException e) {
        System.err.println("FAIL " + call + ": " + e.getStatus());
        System.exit(1);
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static boolean isPublic(String method) {
    MethodDescriptor descriptor = HelloProto.getDescriptor().findServiceByName("HelloService").findMethodByName(method);
    return descriptor.getOptions().getExtension(OptionsProto.public_);
  }

  private static ChannelCredentials transport() throws IOException {
    if ("true".equals(System.getenv("PLAINTEXT"))) {
      return InsecureChannelCredentials.create();
    }
    String caFile = System.getenv("CA_FILE");
    if (caFile == null || caFile.isEmpty()) {
      return TlsChannelCredentials.create();
    }
    return TlsChannelCredentials.newBuilder().trustManager(new File(caFile)).build();
  }

  private static String setting(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }
}
