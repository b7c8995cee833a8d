// A RocketMQ remoting (4.x-protocol) client for the integration tests: sends
// messages with the Java DefaultMQProducer, then reads them back with a
// DefaultLitePullConsumer, both through the name server address it is given
// (normally the Envoy sidecar's listener). Compiled by integration/stack/
// rocketmq-java.ts against the RocketMQ client jars from the cache.
//
// Usage: RemotingRoundTrip <namesrv host:port> <topic> <count> <group> [timeoutMs]
// Output, one JSON object per line on stdout:
//   {"event":"sent","key":..,"tag":..,"body":..,"msgId":..,"queueId":..,"brokerAddr":..}
//   {"event":"received","key":..,"tag":..,"body":..,"msgId":..,"queueId":..,"brokerAddr":..,"traceparent":..}
//   {"event":"done","sent":N,"received":M}
// The body is the UTF-8 text "<topic>-body-<i>", key "k-<i>", tag "tag-<i%3>".
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.impl.MQClientManager;
import org.apache.rocketmq.client.impl.factory.MQClientInstance;
import org.apache.rocketmq.client.impl.FindBrokerResult;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.MixAll;
import org.apache.rocketmq.common.message.MessageExt;

public final class RemotingRoundTrip {
    private RemotingRoundTrip() {
    }

    static String q(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                default:
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: RemotingRoundTrip <namesrv> <topic> <count> <group> [timeoutMs]");
            System.exit(2);
        }
        String namesrv = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        String group = args[3];
        long timeoutMs = args.length > 4 ? Long.parseLong(args[4]) : 60_000;
        long deadline = System.currentTimeMillis() + timeoutMs;

        DefaultMQProducer producer = new DefaultMQProducer(group + "-producer");
        producer.setNamesrvAddr(namesrv);
        producer.setVipChannelEnabled(false);
        producer.setInstanceName("mqmesh-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        producer.start();
        int sent = 0;
        try {
            for (int i = 0; i < count; i++) {
                String key = "k-" + i;
                String tag = "tag-" + (i % 3);
                String body = topic + "-body-" + i;
                Message msg = new Message(topic, tag, key, body.getBytes(StandardCharsets.UTF_8));
                SendResult r = producer.send(msg);
                if (r.getSendStatus() != SendStatus.SEND_OK) {
                    throw new IllegalStateException("send " + i + ": " + r.getSendStatus());
                }
                String brokerAddr = producer.getDefaultMQProducerImpl().getMqClientFactory()
                    .findBrokerAddressInPublish(r.getMessageQueue().getBrokerName());
                System.out.println("{\"event\":\"sent\",\"key\":" + q(key) + ",\"tag\":" + q(tag) + ",\"body\":" + q(body)
                    + ",\"msgId\":" + q(r.getMsgId()) + ",\"queueId\":" + r.getMessageQueue().getQueueId()
                    + ",\"brokerAddr\":" + q(brokerAddr) + "}");
                sent++;
            }
        } finally {
            producer.shutdown();
        }

        DefaultLitePullConsumer consumer = new DefaultLitePullConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setVipChannelEnabled(false);
        consumer.setInstanceName("mqmesh-" + ProcessHandle.current().pid());
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.setAutoCommit(true);
        consumer.setPollTimeoutMillis(1000);
        consumer.subscribe(topic, "*");
        consumer.start();
        // The consumer's client instance (shared per client id): where its pulls for a broker go.
        MQClientInstance consumerClient = MQClientManager.getInstance().getOrCreateMQClientInstance(consumer);
        Set<String> seen = new HashSet<>();
        int received = 0;
        try {
            while (seen.size() < sent && System.currentTimeMillis() < deadline) {
                List<MessageExt> batch = consumer.poll(1000);
                for (MessageExt m : batch) {
                    String body = new String(m.getBody(), StandardCharsets.UTF_8);
                    FindBrokerResult pullFrom = m.getBrokerName() == null ? null
                        : consumerClient.findBrokerAddressInSubscribe(m.getBrokerName(), MixAll.MASTER_ID, true);
                    System.out.println("{\"event\":\"received\",\"key\":" + q(m.getKeys()) + ",\"tag\":" + q(m.getTags())
                        + ",\"body\":" + q(body) + ",\"msgId\":" + q(m.getMsgId()) + ",\"queueId\":" + m.getQueueId()
                        + ",\"brokerAddr\":" + q(pullFrom == null ? null : pullFrom.getBrokerAddr())
                        + ",\"traceparent\":" + q(m.getProperty("traceparent")) + "}");
                    seen.add(m.getMsgId());
                    received++;
                }
            }
        } finally {
            consumer.shutdown();
        }
        System.out.println("{\"event\":\"done\",\"sent\":" + sent + ",\"received\":" + received + "}");
        System.exit(seen.size() >= sent ? 0 : 1);
    }
}
