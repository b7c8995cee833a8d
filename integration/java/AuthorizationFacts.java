// Prints, as one JSON document, what the RocketMQ jars on the classpath say
// about authorization, read as data so the unit tests of the sidecar's map
// compare it with RocketMQ itself rather than with a list copied by hand:
//   requestCodes  every constant of org.apache.rocketmq.remoting.protocol.RequestCode
//   headers       for each code, the request header class RocketMQ's
//                 RequestHeaderRegistry picks, its @RocketMQAction (resource
//                 type, actions) and its fields marked @RocketMQResource
//   grpc          every method of apache.rocketmq.v2.MessagingService, its
//                 request type, and the path (field names and numbers) of each
//                 apache.rocketmq.v2.Resource inside that request
// With "oracle <file>" it instead runs RocketMQ's own authorization context
// builder (DefaultAuthorizationContextBuilder, the broker's and the proxy's)
// over requests, one per line of the file:
//   r <base64 remoting frame, from the header-length word on>
//   g <request message type, e.g. QueryRouteRequest> <base64 protobuf message>
//   b <body class, e.g. org.apache.rocketmq.remoting.protocol.body.LockBatchRequestBody> <base64 JSON>
// and prints one JSON line per request: {"contexts":["Topic:t PUB,SUB",...]}
// or {"error":"<why RocketMQ refused to build them>"}; for a body, what the
// broker's fastjson decodes it to: {"decoded":<the object as JSON>}.
// Compiled by integration/stack/rocketmq-java.ts like RemotingRoundTrip.
//
// Usage: AuthorizationFacts [oracle <file>]
import apache.rocketmq.v2.MQService;
import com.alibaba.fastjson2.JSON;
import com.google.protobuf.Descriptors;
import com.google.protobuf.GeneratedMessageV3;
import io.grpc.Metadata;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.rocketmq.auth.authorization.builder.DefaultAuthorizationContextBuilder;
import org.apache.rocketmq.auth.authorization.context.DefaultAuthorizationContext;
import org.apache.rocketmq.auth.config.AuthConfig;
import org.apache.rocketmq.common.MQVersion;
import org.apache.rocketmq.common.action.Action;
import org.apache.rocketmq.common.action.RocketMQAction;
import org.apache.rocketmq.common.constant.GrpcConstants;
import org.apache.rocketmq.common.resource.RocketMQResource;
import org.apache.rocketmq.remoting.CommandCustomHeader;
import org.apache.rocketmq.remoting.annotation.CFNotNull;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.RemotingSerializable;
import org.apache.rocketmq.remoting.protocol.RequestCode;
import org.apache.rocketmq.remoting.protocol.RequestHeaderRegistry;

public final class AuthorizationFacts {
    private AuthorizationFacts() {
    }

    /** The cluster name RocketMQ's builder gives a cluster-wide resource. */
    static final String CLUSTER = "DefaultCluster";

    public static void main(String[] args) throws Exception {
        RequestHeaderRegistry.getInstance().initialize();
        if (args.length == 2 && args[0].equals("oracle")) {
            oracle(args[1]);
            return;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("rocketmq", MQVersion.getVersionDesc(MQVersion.CURRENT_VERSION));
        out.put("protoJar", jarOf(MQService.class));
        List<Map<String, Object>> codes = new ArrayList<>();
        List<Map<String, Object>> headers = new ArrayList<>();
        RequestHeaderRegistry registry = RequestHeaderRegistry.getInstance();
        for (Field f : RequestCode.class.getDeclaredFields()) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || f.getType() != int.class) {
                continue;
            }
            int code = f.getInt(null);
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", f.getName());
            c.put("code", code);
            codes.add(c);
            Class<? extends CommandCustomHeader> header = registry.getRequestHeader(code);
            if (header != null) {
                headers.add(header(code, header));
            }
        }
        out.put("requestCodes", codes);
        out.put("headers", headers);
        out.put("grpc", grpc());
        System.out.println(JSON.toJSONString(out));
    }

    private static String jarOf(Class<?> c) {
        return c.getProtectionDomain().getCodeSource().getLocation().getPath().replaceAll(".*/", "");
    }

    private static Map<String, Object> header(int code, Class<?> clazz) {
        RocketMQAction action = clazz.getAnnotation(RocketMQAction.class);
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("code", code);
        h.put("class", clazz.getSimpleName());
        h.put("resource", action.resource().name());
        List<String> actions = new ArrayList<>();
        for (Action a : action.action()) {
            actions.add(a.name());
        }
        h.put("actions", actions);
        // Only the class's own fields: RocketMQ's builder reads getDeclaredFields().
        List<Map<String, Object>> fields = new ArrayList<>();
        for (Field f : clazz.getDeclaredFields()) {
            RocketMQResource r = f.getAnnotation(RocketMQResource.class);
            if (r == null) {
                continue;
            }
            Map<String, Object> field = new LinkedHashMap<>();
            field.put("name", f.getName());
            field.put("type", r.value().name());
            field.put("splitter", r.splitter());
            field.put("required", f.getAnnotation(CFNotNull.class) != null);
            fields.add(field);
        }
        h.put("fields", fields);
        // Every field the header decoder insists on (the class and its
        // superclasses), so a test can build requests RocketMQ will decode.
        List<Map<String, Object>> required = new ArrayList<>();
        for (Class<?> c = clazz; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getAnnotation(CFNotNull.class) != null && !Modifier.isStatic(f.getModifiers())) {
                    Map<String, Object> field = new LinkedHashMap<>();
                    field.put("name", f.getName());
                    field.put("type", f.getType().getSimpleName());
                    required.add(field);
                }
            }
        }
        h.put("requiredFields", required);
        return h;
    }

    private static List<Map<String, Object>> grpc() {
        List<Map<String, Object>> methods = new ArrayList<>();
        Descriptors.ServiceDescriptor service = MQService.getDescriptor().findServiceByName("MessagingService");
        for (Descriptors.MethodDescriptor m : service.getMethods()) {
            Map<String, Object> method = new LinkedHashMap<>();
            method.put("name", m.getName());
            method.put("request", m.getInputType().getFullName());
            method.put("clientStreaming", m.isClientStreaming());
            method.put("serverStreaming", m.isServerStreaming());
            List<Map<String, Object>> resources = new ArrayList<>();
            resources(m.getInputType(), new ArrayList<>(), new ArrayList<>(), false, resources);
            method.put("resources", resources);
            methods.add(method);
        }
        return methods;
    }

    // Every Resource reachable from `type`, with the path that leads to it.
    private static void resources(Descriptors.Descriptor type, List<String> names, List<Integer> numbers, boolean repeated,
        List<Map<String, Object>> out) {
        for (Descriptors.FieldDescriptor f : type.getFields()) {
            if (f.getJavaType() != Descriptors.FieldDescriptor.JavaType.MESSAGE || names.size() > 6) {
                continue;
            }
            List<String> n = new ArrayList<>(names);
            n.add(f.getName());
            List<Integer> num = new ArrayList<>(numbers);
            num.add(f.getNumber());
            boolean rep = repeated || f.isRepeated();
            Descriptors.Descriptor t = f.getMessageType();
            if (t.getFullName().equals("apache.rocketmq.v2.Resource")) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("path", String.join(".", n));
                r.put("numbers", num);
                r.put("repeated", rep);
                out.add(r);
            } else if (t.getFullName().startsWith("apache.rocketmq.v2.")) {
                resources(t, n, num, rep, out);
            }
        }
    }

    private static void oracle(String file) throws Exception {
        AuthConfig config = new AuthConfig();
        config.setClusterName(CLUSTER);
        DefaultAuthorizationContextBuilder builder = new DefaultAuthorizationContextBuilder(config);
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = channel.pipeline().firstContext();
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Paths.get(file), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split(" ");
            Map<String, Object> result = new LinkedHashMap<>();
            try {
                List<DefaultAuthorizationContext> contexts;
                if (parts[0].equals("b")) {
                    byte[] bytes = parts.length > 2 ? Base64.getDecoder().decode(parts[2]) : new byte[0];
                    Object decoded = RemotingSerializable.decode(bytes, Class.forName(parts[1]));
                    result.put("decoded", JSON.parse(RemotingSerializable.toJson(decoded, false)));
                    out.append(JSON.toJSONString(result)).append('\n');
                    continue;
                }
                if (parts[0].equals("r")) {
                    RemotingCommand cmd = RemotingCommand.decode(ByteBuffer.wrap(Base64.getDecoder().decode(parts[1])));
                    contexts = builder.build(ctx, cmd);
                } else {
                    byte[] bytes = parts.length > 2 ? Base64.getDecoder().decode(parts[2]) : new byte[0];
                    GeneratedMessageV3 msg = (GeneratedMessageV3) Class.forName("apache.rocketmq.v2." + parts[1])
                        .getMethod("parseFrom", byte[].class).invoke(null, (Object) bytes);
                    Metadata metadata = new Metadata();
                    metadata.put(GrpcConstants.REMOTE_ADDRESS, "127.0.0.1:40000");
                    metadata.put(GrpcConstants.CHANNEL_ID, "oracle");
                    contexts = builder.build(metadata, msg);
                }
                List<String> keys = new ArrayList<>();
                if (contexts != null) {
                    for (DefaultAuthorizationContext c : contexts) {
                        List<String> actions = new ArrayList<>();
                        for (Action a : c.getActions()) {
                            actions.add(a.name());
                        }
                        keys.add(c.getResource().getResourceKey() + " " + String.join(",", actions));
                    }
                }
                result.put("contexts", keys);
            } catch (Throwable t) {
                Throwable cause = t;
                while (cause.getCause() != null && cause != cause.getCause()) {
                    cause = cause.getCause();
                }
                result.put("error", String.valueOf(t.getMessage()) + " / " + cause);
            }
            out.append(JSON.toJSONString(result)).append('\n');
        }
        System.out.print(out);
    }
}
