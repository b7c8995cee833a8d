// Starts the Kroxylicious proxy (io.kroxylicious:kroxylicious-runtime from
// Maven Central) with the YAML configuration file it is given and runs until
// it is stopped. Kroxylicious's own launcher is in its app module, which is
// not published; this is the part of it a benchmark needs. Compiled and
// started by integration/stack/kroxylicious.ts.
//
// Usage: KroxyliciousProxy <config.yaml>
// Prints {"event":"ready"} once the virtual clusters listen.
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import io.kroxylicious.proxy.KafkaProxy;
import io.kroxylicious.proxy.config.ConfigParser;
import io.kroxylicious.proxy.config.Configuration;
import io.kroxylicious.proxy.internal.config.Features;

public final class KroxyliciousProxy {
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: KroxyliciousProxy <config.yaml>");
            System.exit(2);
        }
        ConfigParser parser = new ConfigParser();
        Configuration config;
        try (InputStream in = Files.newInputStream(Path.of(args[0]))) {
            config = parser.parseConfiguration(in);
        }
        try (KafkaProxy proxy = new KafkaProxy(parser, config, Features.defaultFeatures())) {
            proxy.startup();
            System.out.println("{\"event\":\"ready\"}");
            System.out.flush();
            proxy.block();
        }
    }
}
