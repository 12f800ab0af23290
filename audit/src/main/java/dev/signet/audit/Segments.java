package dev.signet.audit;

import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

/** Segment files of one replica's log: {@code segment-<first seq, 16 digits>.jsonl}, oldest first by name. */
final class Segments {

    static final String PREFIX = "segment-";
    static final String SUFFIX = ".jsonl";

    private Segments() {
    }

    static Path name(Path dir, long firstSeq) {
        return dir.resolve(PREFIX + String.format("%016d", firstSeq) + SUFFIX);
    }

    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(PREFIX) && n.endsWith(SUFFIX);
            }).sorted().toList();
        }
    }

    /** Where bytes go; a seam so tests can make writes fail as a full disk does. */
    interface Sink extends AutoCloseable {
        long size() throws IOException;

        void write(ByteBuffer bytes) throws IOException;

        void force() throws IOException;

        void truncate(long size) throws IOException;

        @Override
        void close() throws IOException;
    }

    interface Opener {
        Sink open(Path file) throws IOException;
    }

    /**
     * Files created 0600 whatever the umask, their directory entry made durable before any record is written (the
     * records' fdatasync does not cover it: a segment could vanish with its acknowledged records in a power loss);
     * appended at the end.
     */
    static final Opener FILES = file -> {
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            StateFiles.syncDirectory(file.toAbsolutePath().getParent());
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE);
        ch.position(ch.size());
        return new Sink() {
            public long size() throws IOException {
                return ch.size();
            }

            public void write(ByteBuffer bytes) throws IOException {
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
            }

            public void force() throws IOException {
                ch.force(false);
            }

            public void truncate(long size) throws IOException {
                ch.truncate(size);
                ch.position(size);
            }

            public void close() throws IOException {
                ch.close();
            }
        };
    };
}
