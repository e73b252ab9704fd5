using System;
using System.Diagnostics;
using System.IO;
using System.Globalization;
using Engram.Core;
using Engram.Core.Storage;
using Engram.Core.Values;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Engram.Benchmarks
{
    /// <summary>
    /// --probe: a quick stopwatch breakdown of a Set (no BenchmarkDotNet): the steps a Set is made of (through public
    /// APIs, or YamlDotNet directly), timed on their own, next to the whole Set. Used to find where the time goes when a
    /// target is missed. Run it on a RAM disk (ENGRAM_BENCH_DIR=/dev/shm/...) to see the CPU side alone.
    /// </summary>
    public static class Probe
    {
        public static int Run()
        {
            var root = BenchEnv.NewTempDir("probe");
            try
            {
                var store = BenchEnv.InitStore(root);
                Console.WriteLine("| size | step | µs/op |");
                Console.WriteLine("|---:|---|---:|");
                foreach (var size in new[] { 100, 10 * 1024, 1024 * 1024 })
                {
                    int n = size >= 1024 * 1024 ? 30 : size >= 10240 ? 2000 : 5000;
                    var values = new[] { BenchEnv.Text(size, 1), BenchEnv.Text(size, 2) };
                    store.Set(new SetRequest(BenchEnv.UntrackedNs, "doc", values[1]));
                    store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", values[1]));
                    var path = store.MemoryPath(BenchEnv.UntrackedNs, "doc");
                    var bytes = File.ReadAllBytes(path);
                    var tmpDir = Path.Combine(root, "_tmp");
                    int k = 0;
                    void Row(string step, Action a)
                    {
                        for (int i = 0; i < Math.Min(n, 20); i++) a(); // warm up
                        var sw = Stopwatch.StartNew();
                        for (int i = 0; i < n; i++) a();
                        Console.WriteLine($"| {size:N0} | {step} | {sw.Elapsed.TotalMilliseconds * 1000 / n:N1} |");
                    }
                    Row("Set untracked (whole)", () => store.Set(new SetRequest(BenchEnv.UntrackedNs, "doc", values[(k++) & 1])));
                    Row("Set tracked (whole)", () => store.Set(new SetRequest(BenchEnv.TrackedNs, "doc", values[(k++) & 1])));
                    Row("raw floor: write temp + rename", () =>
                    {
                        var tmp = Path.Combine(tmpDir, Guid.NewGuid().ToString("N") + ".tmp");
                        using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
                            fs.Write(bytes, 0, bytes.Length);
                        File.Move(tmp, Path.Combine(root, "floor.yaml"), true);
                    });
                    Row("ValueCodec.ContentHash(new value)", () => ValueCodec.ContentHash(values[(k++) & 1]));
                    Row("MemoryFile.ValueUtf8(new value) (the value: section)", () => MemoryFile.ValueUtf8(values[(k++) & 1]).Dispose());
                    var record = new MemoryRecord("0123456789abcdef0123456789abcdef", BenchEnv.UntrackedNs, "doc", values[0], Array.Empty<string>(), 2, DateTime.UtcNow, DateTime.UtcNow);
                    _ = record.ContentHash;
                    Row("MemoryFile.Render (hash known)", () => MemoryFile.Render(record).Dispose());
                    Row("read current: header only (TryGetForWrite)", () => store.TryGetForWrite(BenchEnv.UntrackedNs, "doc"));
                    var entry = new Engram.Core.Provenance.ProvenanceEntry
                    {
                        Seq = 5, MemoryId = record.Id, Namespace = BenchEnv.TrackedNs, Key = "doc", Action = "revised", Actor = "bench",
                        TimestampUtc = DateTime.UtcNow, Branch = "main", Version = 2, ContentHash = record.ContentHash, PrevHash = new string('0', 64),
                        HasValue = true, Value = values[0],
                    };
                    entry.Hash = entry.ComputeHash();
                    var logPath = Path.Combine(root, "probe.prov");
                    var rendered = MemoryFile.Render(record);
                    long logLength = 0;
                    var log = new Engram.Core.Provenance.ProvenanceLog(logPath);
                    Row("append the entry, value section reused (log grows)", () => { log.Append(entry, logLength, Durability.Normal, rendered); logLength = new FileInfo(logPath).Length; });
                    rendered.Dispose();
                    File.Delete(logPath);
                    Row("emit the value as YAML (YamlDotNet Emitter)", () =>
                    {
                        var sw = new StringWriter(CultureInfo.InvariantCulture);
                        var e = new Emitter(sw);
                        e.Emit(new StreamStart()); e.Emit(new DocumentStart());
                        e.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true, MappingStyle.Block));
                        ValueCodec.WriteString(e, "value"); ValueCodec.Write(e, values[(k++) & 1]);
                        e.Emit(new MappingEnd()); e.Emit(new DocumentEnd(true)); e.Emit(new StreamEnd());
                        _ = sw.ToString();
                    });
                    Row("read current: File.ReadAllText", () => File.ReadAllText(path));
                    Row("read current: store.Get (read + parse)", () => store.Get(BenchEnv.UntrackedNs, "doc"));
                    Row("current.ContentHash (parse + hash)", () => _ = store.Get(BenchEnv.UntrackedNs, "doc").ContentHash);
                    Row("lock: open+close _lock", () => { using var f = new FileStream(Path.Combine(root, "_lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None); });
                    Row("Directory.CreateDirectory (exists)", () => Directory.CreateDirectory(tmpDir));
                    Row("File.Exists", () => File.Exists(path));
                }
                return 0;
            }
            finally
            {
                BenchEnv.DeleteDir(root);
            }
        }
    }
}
