using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using Xunit;

namespace Engram.PowerShell.Tests
{
    /// <summary>The engram-host console app, run as a child process (its dll is copied next to this test assembly).</summary>
    public sealed class HostProcessTests : IClassFixture<PowerShellFixture>
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
        private readonly PowerShellFixture _fixture;

        public HostProcessTests(PowerShellFixture fixture) => _fixture = fixture;

        [Fact]
        public void Good_script_exits_0_and_renders_output()
        {
            ProcessResult result = RunHost("-Module", _fixture.ManifestPath, "-Command", "'hello from engram-host'");

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("hello from engram-host", result.StdOut);
            Assert.Equal(string.Empty, result.StdErr);
        }

        [Fact]
        public void Throw_exits_1_and_prints_the_error_like_pwsh()
        {
            ProcessResult result = RunHost("-Module", _fixture.ManifestPath, "-Command", "throw 'x'");

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.StartsWith("x" + Environment.NewLine, result.StdErr);
            Assert.Contains("+ FullyQualifiedErrorId : x", result.StdErr);
            Assert.Contains("+ CategoryInfo          : OperationStopped", result.StdErr);
        }

        [Fact]
        public void Non_terminating_error_exits_1_and_exit_N_wins()
        {
            ProcessResult failed = RunHost("-Module", _fixture.ManifestPath, "-Command", "Get-Command Get-NoSuchThing-Xyz; 'after'");
            Assert.True(failed.ExitCode == 1, failed.ToString());
            Assert.Contains("after", failed.StdOut);

            ProcessResult exited = RunHost("-Module", _fixture.ManifestPath, "-Command", "exit 7");
            Assert.True(exited.ExitCode == 7, exited.ToString());
        }

        [Fact]
        public void Bad_usage_exits_2()
        {
            ProcessResult result = RunHost("-NoSuchOption");

            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("unknown option", result.StdErr);
        }

        private sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
        {
            public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{StdOut}stderr:{Environment.NewLine}{StdErr}";
        }

        private static ProcessResult RunHost(params string[] args)
        {
            string hostDll = Path.Combine(AppContext.BaseDirectory, "engram-host.dll");
            Assert.True(File.Exists(hostDll), "engram-host.dll is not next to the test assembly: " + hostDll);

            var start = new ProcessStartInfo(DotnetExecutable())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(hostDll);
            foreach (string arg in args) start.ArgumentList.Add(arg);

            using Process process = Process.Start(start)!;
            // Read both pipes concurrently so a chatty child can never block on a full pipe.
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit((int)Timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("engram-host did not exit within " + Timeout);
            }
            return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
        }

        /// <summary>The dotnet muxer: DOTNET_HOST_PATH (set by the SDK), this process if it is dotnet, else PATH.</summary>
        private static string DotnetExecutable()
        {
            string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;

            string? self = Environment.ProcessPath;
            if (self != null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return self;

            return "dotnet";
        }
    }
}
