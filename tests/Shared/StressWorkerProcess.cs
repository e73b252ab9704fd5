using System;
using System.Diagnostics;
using System.IO;

namespace Engram.Tests.Shared
{
    /// <summary>
    /// Starts tests/Engram.StressWorker (copied beside the test assembly by a project reference) as a separate process:
    /// <c>dotnet engram-stress-worker.dll &lt;store&gt; &lt;workerId&gt; &lt;count&gt; &lt;namespace&gt; &lt;key&gt;</c>.
    /// Linked into the test projects that need it.
    /// </summary>
    internal static class StressWorkerProcess
    {
        public static string WorkerPath
        {
            get
            {
                var path = Path.Combine(AppContext.BaseDirectory, "engram-stress-worker.dll");
                if (!File.Exists(path) || !File.Exists(Path.Combine(AppContext.BaseDirectory, "engram-stress-worker.runtimeconfig.json")))
                    throw new InvalidOperationException($"{path} (or its runtimeconfig) is missing: the test project must reference tests/Engram.StressWorker");
                return path;
            }
        }

        /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH), else dotnet on PATH.</summary>
        public static string DotNet
        {
            get
            {
                var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
                return string.IsNullOrEmpty(host) || !File.Exists(host) ? "dotnet" : host;
            }
        }

        /// <summary>Starts a worker with its output redirected (read both streams before waiting for it).</summary>
        public static Process Start(params string[] args)
        {
            var psi = new ProcessStartInfo(DotNet)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.ArgumentList.Add(WorkerPath);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["ENGRAM_STORE"] = null;
            return Process.Start(psi)!;
        }
    }
}
