import java.lang.management.ManagementFactory;
/** The main thread's CPU and wall time for the first resource lookup on the class path (ops/bench/jar-scan.sh). */
public class JarScan {
    public static void main(String[] a) throws Exception {
        var mx = ManagementFactory.getThreadMXBean();
        long c0 = mx.getCurrentThreadCpuTime(), w0 = System.nanoTime();
        int n = 0;
        for (var e = ClassLoader.getSystemClassLoader().getResources("META-INF/services/java.lang.System$LoggerFinder"); e.hasMoreElements(); e.nextElement()) n++;
        long c1 = mx.getCurrentThreadCpuTime(), w1 = System.nanoTime();
        for (var e = ClassLoader.getSystemClassLoader().getResources("META-INF/helidon/service.registry"); e.hasMoreElements(); e.nextElement()) n++;
        long c2 = mx.getCurrentThreadCpuTime();
        System.out.printf("first scan cpu %.1f ms wall %.1f ms; second scan cpu %.1f ms (%d hits)%n", (c1 - c0) / 1e6, (w1 - w0) / 1e6, (c2 - c1) / 1e6, n);
    }
}
