// Starts AWS's DynamoDB Local (sandbox/dynamodb_local.py) the way its own ServerRunner does, with two
// differences it has no option for:
// - it listens on one address (the first argument, 127.0.0.1) instead of every interface: DynamoDB
//   Local 1.25.1 builds its Jetty server with `new Server(port)`, which binds the wildcard address;
// - it exits when its standard input closes, so the JVM dies with the Python process that holds the
//   other end of that pipe, however that process ends (even SIGKILL, when no atexit runs).
// The remaining arguments are DynamoDB Local's own (-inMemory -port N -disableTelemetry ...).

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public final class LoopbackDynamoDBLocal {
    private LoopbackDynamoDBLocal() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LoopbackDynamoDBLocal HOST [DynamoDB Local options]");
            System.exit(2);
        }
        exitWhenStdinCloses();
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
        listenOn(proxy, args[0]);
        proxy.start();
    }

    /** The proxy keeps its Jetty server private and unstarted until start(): set each connector's host first. */
    private static void listenOn(DynamoDBProxyServer proxy, String host) throws ReflectiveOperationException {
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost(host);
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
