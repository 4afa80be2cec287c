// Starts AWS's DynamoDB Local (sandbox/dynamodb_local.py) the way its own ServerRunner does, with three
// differences it has no option for:
// - it listens on one address (the first argument, 127.0.0.1) instead of every interface: DynamoDB
//   Local 1.25.1 builds its Jetty server with `new Server(port)`, which binds the wildcard address;
// - it answers local tools only, the rule of sandbox/loopback.py: a request whose Host is not that
//   address (or localhost) and its port (a DNS-rebound web page), or that carries an Origin (a web page;
//   DynamoDB Local's own CORS filter would grant any origin), gets 403 before DynamoDB Local sees it;
// - it exits when its standard input closes, so the JVM dies with the Python process that holds the
//   other end of that pipe, however that process ends (even SIGKILL, when no atexit runs).
// The remaining arguments are DynamoDB Local's own (-inMemory -port N -disableTelemetry ...).

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.Set;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.HandlerWrapper;

public final class LoopbackDynamoDBLocal {
    private LoopbackDynamoDBLocal() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LoopbackDynamoDBLocal HOST [DynamoDB Local options]");
            System.exit(2);
        }
        exitWhenStdinCloses();
        String[] options = Arrays.copyOfRange(args, 1, args.length);
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(options);
        Server server = jettyOf(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost(args[0]);
        }
        LocalToolsOnly guard = new LocalToolsOnly(args[0], portOf(options));
        guard.setHandler(server.getHandler());
        server.setHandler(guard);
        proxy.start();
    }

    /** The proxy keeps its Jetty server private and unstarted until start(): reach it to set it up first. */
    private static Server jettyOf(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        return (Server) field.get(proxy);
    }

    private static int portOf(String[] options) {
        for (int i = 0; i + 1 < options.length; i++) {
            if (options[i].equals("-port")) {
                return Integer.parseInt(options[i + 1]);
            }
        }
        return 8000; // DynamoDB Local's default
    }

    /** sandbox/loopback.py's rule: the loopback Host of this port, and no Origin. */
    static final class LocalToolsOnly extends HandlerWrapper {
        private final Set<String> hosts;

        LocalToolsOnly(String address, int port) {
            this.hosts = Set.of(address + ":" + port, "localhost:" + port);
        }

        @Override
        public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
                throws IOException, ServletException {
            String host = request.getHeader("Host");
            if (host == null || !hosts.contains(host) || request.getHeader("Origin") != null) {
                base.setHandled(true);
                response.setStatus(403);
                response.setContentType("application/x-amz-json-1.0");
                response.getWriter().write(
                        "{\"__type\":\"AccessDeniedException\",\"message\":\"the sandbox answers local tools only\"}");
                return;
            }
            super.handle(target, base, request, response);
        }
    }

    private static void exitWhenStdinCloses() {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() != -1) {
                    // the parent writes nothing; any byte is ignored
                }
            } catch (IOException ignored) {
                // a broken pipe means the parent is gone, too
            }
            Runtime.getRuntime().halt(0);
        }, "exit-with-parent");
        watcher.setDaemon(true);
        watcher.start();
    }
}
