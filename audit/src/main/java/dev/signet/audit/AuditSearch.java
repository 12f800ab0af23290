package dev.signet.audit;

import com.nimbusds.jose.util.JSONObjectUtils;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The auditor's questions: every record whose field equals a value ({@code task}, {@code sub}, {@code jti}, ...). */
public final class AuditSearch {

    public static final List<String> FIELDS = List.of("task", "sub", "jti", "client_id", "kid", "parent_jti");

    private AuditSearch() {
    }

    /**
     * Streams matching lines, oldest first, as stored.
     *
     * @param criteria field name to required value; every one must match
     * @return how many records matched
     */
    public static long find(Path dir, Map<String, String> criteria, Consumer<String> out) throws IOException {
        for (String field : criteria.keySet()) {
            if (!FIELDS.contains(field)) {
                throw new IllegalArgumentException("cannot search by '" + field + "'; one of " + FIELDS);
            }
        }
        long found = 0;
        for (Path segment : Segments.list(dir)) {
            try (BufferedReader r = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (matches(line, criteria)) {
                        out.accept(line);
                        found++;
                    }
                }
            }
        }
        return found;
    }

    /**
     * Streams every {@code token} and {@code exchange} record, parsed, oldest first, from the segments last
     * written at or after {@code since} (an older segment holds only tokens issued before it). A line that does
     * not parse is skipped: {@code signet audit verify} is where damage is reported.
     *
     * @return how many records were streamed
     */
    public static long tokens(Path dir, java.time.Instant since, Consumer<Map<String, Object>> out) throws IOException {
        long found = 0;
        for (Path segment : Segments.list(dir)) {
            if (Files.getLastModifiedTime(segment).toInstant().isBefore(since)) {
                continue;
            }
            try (BufferedReader r = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (!line.contains("\"type\":\"token\"") && !line.contains("\"type\":\"exchange\"")) {
                        continue;
                    }
                    try {
                        out.accept(JSONObjectUtils.parse(line));
                        found++;
                    } catch (ParseException e) {
                        // skipped; see above
                    }
                }
            }
        }
        return found;
    }

    private static boolean matches(String line, Map<String, String> criteria) {
        for (String value : criteria.values()) {
            if (!line.contains(value)) {
                return false; // cheap pre-filter before parsing
            }
        }
        try {
            Map<String, Object> record = JSONObjectUtils.parse(line);
            for (Map.Entry<String, String> c : criteria.entrySet()) {
                if (!c.getValue().equals(record.get(c.getKey()))) {
                    return false;
                }
            }
            return true;
        } catch (ParseException e) {
            return false;
        }
    }
}
