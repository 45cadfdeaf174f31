// Command go-client calls the reference HelloService with the pod's projected service-account token.
//
// The token is read from its file on every call, so the token kubelet rotates in place is used from the
// next call on. It is sent only over TLS unless PLAINTEXT=true says otherwise.
//
//	SERVICE_ENDPOINT  host:port of the server (default localhost:50051)
//	TOKEN_FILE        projected token path (default /var/run/secrets/tokens/gke-sa)
//	CA_FILE           PEM CA bundle for the server certificate (default: system roots)
//	PLAINTEXT         true sends the token without TLS (local development only)
//	WAIT_FOR_ROTATION true keeps calling WhoAmI until the token file holds another identity
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	authv1 "github.com/grpc-workload-identity/grpc-workload-identity/gen/go/wid/auth/v1"
	demov1 "github.com/grpc-workload-identity/grpc-workload-identity/gen/go/wid/demo/v1"
)

// tokenFileCredentials puts "authorization: Bearer <token>" on each call, reading the file every time.
type tokenFileCredentials struct {
	path      string
	plaintext bool
}

func (c tokenFileCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	raw, err := os.ReadFile(c.path)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "token file %s: %v (is the projected volume mounted?)", c.path, err)
	}
	token := strings.TrimSpace(string(raw))
	if token == "" {
		return nil, status.Errorf(codes.Unavailable, "token file %s is empty", c.path)
	}
	return map[string]string{"authorization": "Bearer " + token}, nil
}

// RequireTransportSecurity keeps the token off plaintext connections unless PLAINTEXT=true.
func (c tokenFileCredentials) RequireTransportSecurity() bool { return !c.plaintext }

func main() {
	endpoint := setting("SERVICE_ENDPOINT", "localhost:50051")
	tokenFile := setting("TOKEN_FILE", "/var/run/secrets/tokens/gke-sa")
	plaintext := os.Getenv("PLAINTEXT") == "true"

	transport := insecure.NewCredentials()
	if !plaintext {
		var err error
		if transport, err = tlsCredentials(os.Getenv("CA_FILE")); err != nil {
			fail("CA_FILE", err)
		}
	}
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(transport))
	if err != nil {
		fail("connect", err)
	}
	defer conn.Close()
	client := demov1.NewHelloServiceClient(conn)
	withToken := grpc.PerRPCCredentials(tokenFileCredentials{path: tokenFile, plaintext: plaintext})

	// The (wid.auth.v1.public) option travels in the generated descriptors.
	methods := demov1.File_wid_demo_v1_hello_proto.Services().ByName("HelloService").Methods()
	isPublic := func(name string) bool {
		return proto.GetExtension(methods.ByName(protoreflect.Name(name)).Options(), authv1.E_Public).(bool)
	}
	fmt.Printf("options: PublicHello public=%t, PrivateHello public=%t\n", isPublic("PublicHello"), isPublic("PrivateHello"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	public, err := client.PublicHello(ctx, &demov1.PublicHelloRequest{Name: "go"})
	if err != nil {
		fail("PublicHello", err)
	}
	fmt.Printf("PublicHello: OK %s\n", public.GetMessage())

	_, err = client.PrivateHello(ctx, &demov1.PrivateHelloRequest{Name: "go"})
	fmt.Printf("PrivateHello without token: %s\n", canonicalName(status.Code(err)))

	private, err := client.PrivateHello(ctx, &demov1.PrivateHelloRequest{Name: "go"}, withToken)
	if err != nil {
		fail("PrivateHello", err)
	}
	fmt.Printf("PrivateHello: OK %s\n", private.GetMessage())

	stream, err := client.StreamHello(ctx, &demov1.StreamHelloRequest{Name: "go", Count: 3, IntervalMs: 10}, withToken)
	if err != nil {
		fail("StreamHello", err)
	}
	var sequences []string
	for {
		message, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail("StreamHello", err)
		}
		sequences = append(sequences, fmt.Sprint(message.GetSequence()))
	}
	fmt.Printf("StreamHello: %d messages (%s)\n", len(sequences), strings.Join(sequences, ","))

	first, err := client.WhoAmI(ctx, &demov1.WhoAmIRequest{}, withToken)
	if err != nil {
		fail("WhoAmI", err)
	}
	fmt.Printf("WhoAmI: %s\n", first.GetSubject())
	if os.Getenv("WAIT_FOR_ROTATION") != "true" {
		return
	}
	for {
		time.Sleep(100 * time.Millisecond)
		now, err := client.WhoAmI(ctx, &demov1.WhoAmIRequest{}, withToken)
		if err != nil {
			fail("WhoAmI after rotation", err)
		}
		if now.GetSubject() != first.GetSubject() {
			fmt.Printf("WhoAmI after rotation: %s\n", now.GetSubject())
			return
		}
	}
}

func tlsCredentials(caFile string) (credentials.TransportCredentials, error) {
	if caFile == "" {
		return credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS12}), nil
	}
	return credentials.NewClientTLSFromFile(caFile, "")
}

// canonicalName spells a status code as the gRPC spec does: Unauthenticated → UNAUTHENTICATED.
func canonicalName(code codes.Code) string {
	var name strings.Builder
	for i, r := range code.String() {
		if i > 0 && unicode.IsUpper(r) {
			name.WriteByte('_')
		}
		name.WriteRune(unicode.ToUpper(r))
	}
	return name.String()
}

func setting(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func fail(call string, err error) {
	fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", call, err)
	os.Exit(1)
}
