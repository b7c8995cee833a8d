// Sends messages with the Java DefaultMQProducer and reports each outcome,
// failures included, instead of stopping at the first: for tests of what a
// real client sees when a send is refused (e.g. by the sidecar's topic ACL).
// Compiled by integration/stack/rocketmq-java.ts like RemotingRoundTrip.
//
// Usage: RemotingSend <namesrv host:port> <topic> <count> <group> [threads]
// (threads: synchronous senders sharing the producer, 1 by default)
// Output, one JSON object per line on stdout:
//   {"event":"sent","msgId":..,"queueId":..,"brokerAddr":..}
//   {"event":"error","exception":<class>,"responseCode":<MQClientException
//    response code or -1>,"message":..,"cause":<class or null>,
//    "causeResponseCode":<MQBrokerException code or -1>,"causeMessage":..}
//   {"event":"done","sent":N,"failed":M}
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.message.Message;

public final class RemotingSend {
    private RemotingSend() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: RemotingSend <namesrv> <topic> <count> <group> [threads]");
            System.exit(2);
        }
        String namesrv = args[0];
        String topic = args[1];
        int count = Integer.parseInt(args[2]);
        String group = args[3];
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;

        DefaultMQProducer producer = new DefaultMQProducer(group);
        producer.setNamesrvAddr(namesrv);
        producer.setVipChannelEnabled(false);
        producer.setInstanceName("mqmesh-send-" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(10_000);
        producer.start();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<Thread> senders = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                Thread sender = new Thread(() -> {
                    for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                        if (send(producer, topic, i)) sent.incrementAndGet();
                        else failed.incrementAndGet();
                    }
                });
                sender.start();
                senders.add(sender);
            }
            for (Thread sender : senders) sender.join();
        } finally {
            producer.shutdown();
        }
        System.out.println("{\"event\":\"done\",\"sent\":" + sent.get() + ",\"failed\":" + failed.get() + "}");
        System.exit(0);
    }

    // One synchronous send, its outcome printed; false when it failed.
    static boolean send(DefaultMQProducer producer, String topic, int i) {
        Message msg = new Message(topic, "tag", "k-" + i, (topic + "-body-" + i).getBytes(StandardCharsets.UTF_8));
        try {
            SendResult r = producer.send(msg);
            String brokerAddr = producer.getDefaultMQProducerImpl().getMqClientFactory()
                .findBrokerAddressInPublish(r.getMessageQueue().getBrokerName());
            System.out.println("{\"event\":\"sent\",\"status\":" + RemotingRoundTrip.q(r.getSendStatus().name())
                + ",\"msgId\":" + RemotingRoundTrip.q(r.getMsgId()) + ",\"queueId\":" + r.getMessageQueue().getQueueId()
                + ",\"brokerAddr\":" + RemotingRoundTrip.q(brokerAddr) + "}");
            return true;
        } catch (Exception e) {
            Throwable cause = e.getCause();
            int code = e instanceof MQClientException ? ((MQClientException) e).getResponseCode() : -1;
            int causeCode = cause instanceof MQBrokerException ? ((MQBrokerException) cause).getResponseCode() : -1;
            System.out.println("{\"event\":\"error\",\"exception\":" + RemotingRoundTrip.q(e.getClass().getName())
                + ",\"responseCode\":" + code + ",\"message\":" + RemotingRoundTrip.q(e.getMessage())
                + ",\"cause\":" + RemotingRoundTrip.q(cause == null ? null : cause.getClass().getName())
                + ",\"causeResponseCode\":" + causeCode
                + ",\"causeMessage\":" + RemotingRoundTrip.q(cause == null ? null : cause.getMessage()) + "}");
            return false;
        }
    }
}
