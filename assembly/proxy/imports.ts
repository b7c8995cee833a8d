// Host functions of proxy-wasm ABI v0.2.1 as Envoy (proxy-wasm-cpp-host)
// registers them. Each is exported under its ABI name so a test fixture can
// reach a raw one; filters use the safe wrappers in hostcalls.ts instead.
//
// AssemblyScript only emits an import for a function that is actually called,
// so declaring everything here costs nothing in a module that uses little.
//
// Every pointer is an i32 into linear memory; every size/id is a u32 and every
// return value is a WasmResult (see types.ts), except where noted.
//
// Left out on purpose, because cpp-host only links them for ABI 0.1.0 and a
// 0.2.1 module importing them fails instantiation ("unknown import"):
//   proxy_get_configuration, proxy_continue_request, proxy_continue_response,
//   proxy_clear_route_cache (Envoy offers route-cache clearing as the foreign
//   function "clear_route_cache" instead).
// WASI: only clock_time_get and random_get are declared (monotonic time and
// trace ids need them); the rest are stubs in cpp-host. Also left out are the
// callbacks-only names (see exports.ts) and cpp-host's emscripten helpers.

// ---- logging, clocks, timers

// @ts-ignore: decorator
@external("env", "proxy_log")
export declare function proxy_log(level: u32, messageData: usize, messageSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_log_level")
export declare function proxy_get_log_level(returnLevel: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_current_time_nanoseconds")
export declare function proxy_get_current_time_nanoseconds(returnTime: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_tick_period_milliseconds")
export declare function proxy_set_tick_period_milliseconds(periodMs: u32): u32;

// ---- buffers

// @ts-ignore: decorator
@external("env", "proxy_get_buffer_bytes")
export declare function proxy_get_buffer_bytes(bufferType: u32, start: u32, maxSize: u32, returnData: usize, returnSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_buffer_bytes")
export declare function proxy_set_buffer_bytes(bufferType: u32, start: u32, size: u32, data: usize, dataSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_buffer_status")
export declare function proxy_get_buffer_status(bufferType: u32, returnSize: usize, returnFlags: usize): u32;

// ---- header maps (serialized pairs, see pairs.ts)

// @ts-ignore: decorator
@external("env", "proxy_get_header_map_pairs")
export declare function proxy_get_header_map_pairs(mapType: u32, returnData: usize, returnSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_header_map_pairs")
export declare function proxy_set_header_map_pairs(mapType: u32, data: usize, size: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_size")
export declare function proxy_get_header_map_size(mapType: u32, returnSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_header_map_value")
export declare function proxy_get_header_map_value(mapType: u32, key: usize, keySize: usize, returnData: usize, returnSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_add_header_map_value")
export declare function proxy_add_header_map_value(mapType: u32, key: usize, keySize: usize, value: usize, valueSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_replace_header_map_value")
export declare function proxy_replace_header_map_value(mapType: u32, key: usize, keySize: usize, value: usize, valueSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_remove_header_map_value")
export declare function proxy_remove_header_map_value(mapType: u32, key: usize, keySize: usize): u32;

// ---- properties (path segments joined by NUL)

// @ts-ignore: decorator
@external("env", "proxy_get_property")
export declare function proxy_get_property(path: usize, pathSize: usize, returnData: usize, returnSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_property")
export declare function proxy_set_property(path: usize, pathSize: usize, value: usize, valueSize: usize): u32;

// ---- shared data and queues

// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
export declare function proxy_get_shared_data(key: usize, keySize: usize, returnData: usize, returnSize: usize, returnCas: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
export declare function proxy_set_shared_data(key: usize, keySize: usize, value: usize, valueSize: usize, cas: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_register_shared_queue")
export declare function proxy_register_shared_queue(name: usize, nameSize: usize, returnQueueId: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_resolve_shared_queue")
export declare function proxy_resolve_shared_queue(vmId: usize, vmIdSize: usize, name: usize, nameSize: usize, returnQueueId: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_dequeue_shared_queue")
export declare function proxy_dequeue_shared_queue(queueId: u32, returnData: usize, returnSize: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_enqueue_shared_queue")
export declare function proxy_enqueue_shared_queue(queueId: u32, data: usize, size: usize): u32;

// ---- stream control and HTTP

// @ts-ignore: decorator
@external("env", "proxy_continue_stream")
export declare function proxy_continue_stream(streamType: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_close_stream")
export declare function proxy_close_stream(streamType: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_send_local_response")
export declare function proxy_send_local_response(statusCode: u32, details: usize, detailsSize: usize, body: usize, bodySize: usize, headers: usize, headersSize: usize, grpcStatus: i32): u32;
// @ts-ignore: decorator
@external("env", "proxy_http_call")
export declare function proxy_http_call(upstream: usize, upstreamSize: usize, headers: usize, headersSize: usize, body: usize, bodySize: usize, trailers: usize, trailersSize: usize, timeoutMs: u32, returnToken: usize): u32;

// ---- gRPC

// @ts-ignore: decorator
@external("env", "proxy_grpc_call")
export declare function proxy_grpc_call(upstream: usize, upstreamSize: usize, service: usize, serviceSize: usize, method: usize, methodSize: usize, metadata: usize, metadataSize: usize, message: usize, messageSize: usize, timeoutMs: u32, returnToken: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_stream")
export declare function proxy_grpc_stream(upstream: usize, upstreamSize: usize, service: usize, serviceSize: usize, method: usize, methodSize: usize, metadata: usize, metadataSize: usize, returnToken: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_send")
export declare function proxy_grpc_send(token: u32, message: usize, messageSize: usize, endStream: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_cancel")
export declare function proxy_grpc_cancel(token: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_grpc_close")
export declare function proxy_grpc_close(token: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_status")
export declare function proxy_get_status(returnCode: usize, returnMessage: usize, returnMessageSize: usize): u32;

// ---- contexts and foreign functions

// @ts-ignore: decorator
@external("env", "proxy_set_effective_context")
export declare function proxy_set_effective_context(contextId: u32): u32;
// @ts-ignore: decorator
@external("env", "proxy_done")
export declare function proxy_done(): u32;
// @ts-ignore: decorator
@external("env", "proxy_call_foreign_function")
export declare function proxy_call_foreign_function(name: usize, nameSize: usize, args: usize, argsSize: usize, returnData: usize, returnSize: usize): u32;

// ---- metrics (increment takes a signed i64 delta, record an unsigned u64)

// @ts-ignore: decorator
@external("env", "proxy_define_metric")
export declare function proxy_define_metric(metricType: u32, name: usize, nameSize: usize, returnMetricId: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_increment_metric")
export declare function proxy_increment_metric(metricId: u32, delta: i64): u32;
// @ts-ignore: decorator
@external("env", "proxy_record_metric")
export declare function proxy_record_metric(metricId: u32, value: u64): u32;
// @ts-ignore: decorator
@external("env", "proxy_get_metric")
export declare function proxy_get_metric(metricId: u32, returnValue: usize): u32;

// ---- WASI (returns a wasi errno, 0 = success, not a WasmResult)

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
export declare function wasi_clock_time_get(clockId: u32, precision: u64, returnTime: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
export declare function wasi_random_get(buffer: usize, size: usize): u32;
