package io.github.grpcworkloadidentity.examples;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executor;

/**
 * Puts {@code authorization: Bearer <token>} on each call, reading the projected token file every time,
 * so the token kubelet rotates in place is used from the next call on. An unreadable or empty file fails
 * the call with UNAVAILABLE, naming the path.
 */
public final class TokenFileCallCredentials extends CallCredentials {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Path path;

  public TokenFileCallCredentials(Path path) {
    this.path = path;
  }

  @Override
  public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    // File I/O stays off the transport thread.
    appExecutor.execute(() -> {
      String token;
      try {
        token = Files.readString(path, StandardCharsets.US_ASCII).strip();
      } catch (IOException e) {
        applier.fail(Status.UNAVAILABLE.withDescription("token file " + path + ": " + e + " (is the projected volume mounted?)").withCause(e));
        return;
      }
      if (token.isEmpty()) {
        applier.fail(Status.UNAVAILABLE.withDescription("token file " + path + " is empty"));
        return;
      }
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      applier.apply(headers);
    });
  }
}
