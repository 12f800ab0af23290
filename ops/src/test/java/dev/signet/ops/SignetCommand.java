package dev.signet.ops;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Command lines that run the Signet CLI in a JVM of its own, as ops/bin/signet does, on the test class path. */
final class SignetCommand {

    private SignetCommand() {
    }

    /** {@code java ... dev.signet.ops.Signet ARGS}. */
    static List<String> of(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Signet.class.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /** {@code signet serve --config CONFIG EXTRA}. */
    static List<String> serve(Path config, String... extra) {
        List<String> command = of("serve", "--config", config.toString());
        command.addAll(List.of(extra));
        return command;
    }

    /** Starts {@code signet serve} and waits until it has opened its backend and serves (see {@link DevModeProcessTest#launch}). */
    static DevModeProcessTest.Started startServe(Path config, Map<String, String> env) throws Exception {
        return DevModeProcessTest.launch(serve(config), env, "signet: backend");
    }
}
