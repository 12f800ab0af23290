package dev.signet.api;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Parsing a request body into the map {@code TokenRequests} reads: {@code jackson} is the daemon's
 * {@link RequestBodies#parseObject} (jackson-core), {@code gson} the reader it replaced ({@link GsonBodyReader}).
 * In package {@code dev.signet.api} to reach the package-private reader. Bodies: one token request as
 * {@code ops/bench/mint.lua} sends it, and a batch of 50 of them.
 */
@State(Scope.Thread)
@Fork(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RequestBodyBench {

    @Param({"gson", "jackson"})
    public String parser;

    @Param({"single", "batch50"})
    public String body;

    byte[] bytes;

    public static final String ONE = "{\"sub\":\"agent-7\",\"aud\":\"https://api.example.com\",\"ttl\":600,"
            + "\"scope\":[{\"resource\":\"repo:acme/widgets\",\"actions\":[\"read\"]}]}";

    @Setup
    public void setUp() {
        String text = body.equals("single") ? ONE : "{\"requests\":[" + String.join(",", java.util.Collections.nCopies(50, ONE)) + "]}";
        bytes = text.getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public Map<String, Object> parse() {
        return parser.equals("gson") ? GsonBodyReader.parseObject(bytes) : RequestBodies.parseObject(bytes);
    }
}
