using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using Engram.Core;
using Engram.Host;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Target 6: the cmdlet layer. One hosted PowerShell session (tests/Engram.TestHost, the built module from out/Engram)
    /// is reused; each call invokes one Set-EngramMemory command, against the core store.Set it wraps. The empty
    /// pipeline shows what any command costs through the hosted engine, before Engram does anything.
    /// </summary>
    [MemoryDiagnoser]
    public class CmdletOverhead
    {
        private string _root = "";
        private EngramStore _store = null!;
        private EngramSession _session = null!;
        private string[] _values = Array.Empty<string>();
        private int _n, _m;

        [GlobalSetup]
        public void Setup()
        {
            _root = BenchEnv.NewTempDir("cmdlet");
            _store = BenchEnv.InitStore(_root);
            _values = new[] { BenchEnv.Text(100, 1), BenchEnv.Text(100, 2) };
            _session = new EngramSession(options: new EngramSessionOptions { Output = TextWriter.Null, CaptureHostText = false });
            var r = InvokeSet("probe", _values[0]);
            if (!r.Succeeded || _store.Get(BenchEnv.UntrackedNs, "probe").Version != 1)
                throw new InvalidOperationException("Set-EngramMemory did not work in the hosted session: " + r.Exception + string.Join("; ", r.AllErrors));
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            _session?.Dispose();
            BenchEnv.DeleteDir(_root);
        }

        private EngramRunResult InvokeSet(string key, string value) =>
            _session.Invoke(ps => ps.AddCommand("Set-EngramMemory")
                .AddParameter("Store", _root)
                .AddParameter("Namespace", BenchEnv.UntrackedNs)
                .AddParameter("Key", key)
                .AddParameter("Value", value)
                .AddParameter("Actor", BenchEnv.Actor));

        [Benchmark(Baseline = true, Description = "core store.Set (untracked, 100 B)")]
        public SetResult CoreSet() =>
            _store.Set(new SetRequest(BenchEnv.UntrackedNs, "core", _values[(_n++) & 1]) { Actor = BenchEnv.Actor });

        [Benchmark(Description = "Set-EngramMemory via hosted engine (untracked, 100 B)")]
        public EngramRunResult CmdletSet()
        {
            var r = InvokeSet("cmdlet", _values[(_m++) & 1]);
            if (!r.Succeeded) throw new InvalidOperationException("Set-EngramMemory failed: " + string.Join("; ", r.AllErrors));
            return r;
        }

        [Benchmark(Description = "empty pipeline via hosted engine (Out-Null)")]
        public EngramRunResult EmptyPipeline() => _session.Invoke(ps => ps.AddCommand("Out-Null"));
    }
}
