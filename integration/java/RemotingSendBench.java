// The load generator of `npm run bench:rocketmq` (bench/rocketmq.ts): one
// DefaultMQProducer (remoting protocol) that stays up for the whole benchmark
// and sends on command, so the JIT, the connections and the route are warm
// and the caller can read Envoy's CPU exactly around each batch. Compiled by
// integration/stack/rocketmq-java.ts with the other programs here.
//
// Usage: RemotingSendBench <namesrv host:port> <topic> <producer group> <message bytes> <threads>
// Prints {"event":"ready"} once started, then reads commands from stdin:
//   send <N> [<seconds>]
//              N synchronous sends of one <message bytes> body each, shared by
//              <threads> threads, or as many as fit in <seconds> if that comes
//              first; answers with one line
//              {"event":"sent","count":N,"failed":F,"seconds":S,"msgsPerSec":R,
//               "p50Ms":..,"p99Ms":..,"brokerAddrs":[..],"firstError":..}
//              brokerAddrs are where the client sent (from its route table).
//   quit       shuts the producer down and exits
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

public final class RemotingSendBench {
    private RemotingSendBench() {
    }

    static String q(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: RemotingSendBench <namesrv> <topic> <group> <messageBytes> <threads>");
            System.exit(2);
        }
        String namesrv = args[0];
        String topic = args[1];
        String group = args[2];
        int size = Integer.parseInt(args[3]);
        int threads = Integer.parseInt(args[4]);

        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) ('a' + i % 26);
        }
        DefaultMQProducer producer = new DefaultMQProducer(group);
        producer.setNamesrvAddr(namesrv);
        producer.setVipChannelEnabled(false);
        producer.setInstanceName("mqmesh-bench-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        // Every byte on the wire as given: no compression of large bodies, no silent retries.
        producer.setCompressMsgBodyOverHowmuch(Integer.MAX_VALUE);
        producer.setRetryTimesWhenSendFailed(0);
        producer.start();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        say("{\"event\":\"ready\"}");

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try {
            String line;
            while ((line = in.readLine()) != null) {
                String[] cmd = line.trim().split("\\s+");
                if (cmd[0].equals("quit")) {
                    break;
                }
                if (!cmd[0].equals("send") || cmd.length < 2 || cmd.length > 3) {
                    say("{\"event\":\"error\",\"message\":" + q("unknown command: " + line) + "}");
                    continue;
                }
                int n = Integer.parseInt(cmd[1]);
                long deadline = cmd.length > 2 ? System.nanoTime() + (long) (Double.parseDouble(cmd[2]) * 1e9) : Long.MAX_VALUE;
                long[][] latencies = new long[threads][];
                AtomicInteger next = new AtomicInteger();
                AtomicLong lastDone = new AtomicLong();
                AtomicInteger failed = new AtomicInteger();
                AtomicReference<String> firstError = new AtomicReference<>();
                Set<String> brokerNames = ConcurrentHashMap.newKeySet();
                long t0 = System.nanoTime();
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    done.add(pool.submit(() -> {
                        long[] mine = new long[1024];
                        int count = 0;
                        while (System.nanoTime() - deadline < 0 && next.getAndIncrement() < n) {
                            long s = System.nanoTime();
                            try {
                                SendResult r = producer.send(new Message(topic, "bench", body));
                                if (r.getSendStatus() != SendStatus.SEND_OK) {
                                    failed.incrementAndGet();
                                    firstError.compareAndSet(null, "status " + r.getSendStatus());
                                }
                                brokerNames.add(r.getMessageQueue().getBrokerName());
                            } catch (Exception e) {
                                failed.incrementAndGet();
                                firstError.compareAndSet(null, e.toString());
                            }
                            long end = System.nanoTime();
                            if (count == mine.length) {
                                mine = Arrays.copyOf(mine, count * 2);
                            }
                            mine[count++] = end - s;
                            lastDone.accumulateAndGet(end, Math::max);
                        }
                        latencies[thread] = Arrays.copyOf(mine, count);
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                // Until the last send completed (a thread that saw the deadline first adds nothing).
                long[] latency = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
                int sent = latency.length;
                double seconds = ((sent == 0 ? System.nanoTime() : lastDone.get()) - t0) / 1e9;
                StringBuilder addrs = new StringBuilder("[");
                for (String b : brokerNames) {
                    String a = producer.getDefaultMQProducerImpl().getMqClientFactory().findBrokerAddressInPublish(b);
                    addrs.append(addrs.length() > 1 ? "," : "").append(q(a));
                }
                addrs.append(']');
                say("{\"event\":\"sent\",\"count\":" + sent + ",\"failed\":" + failed.get() + ",\"seconds\":" + seconds
                    + ",\"msgsPerSec\":" + (sent / seconds)
                    + ",\"p50Ms\":" + (sent == 0 ? 0 : latency[sent / 2] / 1e6)
                    + ",\"p99Ms\":" + (sent == 0 ? 0 : latency[Math.min(sent - 1, (int) (sent * 0.99))] / 1e6)
                    + ",\"brokerAddrs\":" + addrs + ",\"firstError\":" + q(firstError.get()) + "}");
            }
        } finally {
            pool.shutdownNow();
            producer.shutdown();
        }
        System.exit(0);
    }
}
