using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using Npgsql;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// A PostgreSQL server for the tests, and a fresh database on it per test.
    /// <list type="bullet">
    /// <item>If <c>ENGRAM_TEST_POSTGRES</c> is set (an admin connection string: a user that may CREATE DATABASE), that
    /// server is used. .ci/run sets it to the server it starts.</item>
    /// <item>Otherwise, the first time a test needs one, a private server is started for this test process: initdb and
    /// pg_ctl from PATH or /usr/lib/postgresql/&lt;version&gt;/bin make a throwaway cluster in a temp folder (trust
    /// authentication, loopback only, unix sockets in that folder, fsync off), on a free port; it is stopped and its
    /// folder deleted when the process exits. PostgreSQL refuses to run as root, so as root the server runs as the
    /// <c>postgres</c> OS user (runuser, or su).</item>
    /// </list>
    /// When neither works, <see cref="NewDatabase"/> throws ("PostgreSQL tests need a server: …"), so the tests fail
    /// rather than pass without testing anything; test classes may look at <see cref="Available"/> first and skip
    /// where that is allowed.
    /// </summary>
    public static class PostgresServer
    {
        /// <summary>Environment variable naming an existing server (admin connection string).</summary>
        public const string AdminVariable = "ENGRAM_TEST_POSTGRES";

        private const string Problem = "PostgreSQL tests need a server: ";

        private static readonly Lazy<Server> Instance = new Lazy<Server>(Server.Find, LazyThreadSafetyMode.ExecutionAndPublication);

        /// <summary>Whether a server is (or could be made) available. Starts the private server if needed; never throws.</summary>
        public static bool Available => Instance.Value.AdminConnectionString != null;

        /// <summary>Why no server is available (null when one is). Never throws.</summary>
        public static string? UnavailableReason => Instance.Value.Reason;

        /// <summary>The admin connection string in use (null when unavailable).</summary>
        public static string? AdminConnectionString => Instance.Value.AdminConnectionString;

        /// <summary>
        /// A new, empty database (<c>engram_test_&lt;guid&gt;</c>) as a store location
        /// (<c>Host=127.0.0.1;Port=…;Username=…;Database=…</c>), and an action that drops it.
        /// </summary>
        /// <exception cref="InvalidOperationException">No server: the message starts "PostgreSQL tests need a server: ".</exception>
        public static (string location, Action drop) NewDatabase()
        {
            var server = Instance.Value;
            if (server.AdminConnectionString == null)
                throw new InvalidOperationException(server.Reason, server.Failure);

            var name = "engram_test_" + Guid.NewGuid().ToString("N");
            using (var admin = new NpgsqlConnection(server.AdminConnectionString))
            {
                admin.Open();
                Execute(admin, "CREATE DATABASE " + Quote(name));
            }
            var location = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
            return (location, () => Drop(server.AdminConnectionString, location, name));
        }

        private static void Drop(string adminConnectionString, string location, string name)
        {
            // Idle pooled connections of the store under test would keep the database busy.
            using (var pooled = new NpgsqlConnection(location)) NpgsqlConnection.ClearPool(pooled);
            using (var admin = new NpgsqlConnection(adminConnectionString))
            {
                admin.Open();
                if (admin.PostgreSqlVersion.Major >= 13)
                {
                    Execute(admin, "DROP DATABASE IF EXISTS " + Quote(name) + " WITH (FORCE)");
                }
                else
                {
                    Execute(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "' AND pid <> pg_backend_pid()");
                    Execute(admin, "DROP DATABASE IF EXISTS " + Quote(name));
                }
            }
        }

        private static void Execute(NpgsqlConnection connection, string sql)
        {
            using (var command = connection.CreateCommand())
            {
                command.CommandText = sql;
                command.ExecuteNonQuery();
            }
        }

        private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

        /// <summary>The outcome of looking for a server, once per process.</summary>
        private sealed class Server
        {
            public string? AdminConnectionString { get; private set; }
            public string? Reason { get; private set; }
            public Exception? Failure { get; private set; }

            public static Server Find()
            {
                try
                {
                    var given = Environment.GetEnvironmentVariable(AdminVariable);
                    var admin = string.IsNullOrWhiteSpace(given) ? PrivateCluster.Start() : given!.Trim();
                    Probe(admin, string.IsNullOrWhiteSpace(given) ? "the private server" : AdminVariable);
                    return new Server { AdminConnectionString = admin };
                }
                catch (Exception e)
                {
                    var reason = e is ServerUnavailableException ? e.Message : Problem + e.GetType().Name + ": " + e.Message;
                    return new Server { Reason = reason, Failure = e };
                }
            }

            private static void Probe(string admin, string what)
            {
                try
                {
                    using (var connection = new NpgsqlConnection(admin))
                    {
                        connection.Open();
                        Execute(connection, "SELECT 1");
                    }
                }
                catch (Exception e) when (e is NpgsqlException || e is ArgumentException || e is InvalidOperationException)
                {
                    throw new ServerUnavailableException(Problem + "cannot connect to " + what + " (" + Describe(admin) + "): " + e.Message, e);
                }
            }

            /// <summary>A connection string without its password, for messages.</summary>
            private static string Describe(string connectionString)
            {
                try
                {
                    var b = new NpgsqlConnectionStringBuilder(connectionString);
                    if (!string.IsNullOrEmpty(b.Password)) b.Password = "***";
                    return b.ConnectionString;
                }
                catch (ArgumentException)
                {
                    return "an invalid connection string";
                }
            }
        }

        private sealed class ServerUnavailableException : Exception
        {
            public ServerUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
        }

        /// <summary>A throwaway cluster in a temp folder, owned by this test process.</summary>
        private static class PrivateCluster
        {
            private const string ServiceUser = "postgres";
            private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

            private static string? _root;
            private static string? _pgCtl;
            private static string? _runAs;
            private static bool _watchdog;

            public static string Start()
            {
                var bin = FindBinaries() ?? throw new ServerUnavailableException(Problem + "initdb and pg_ctl were not found on PATH nor under " +
                    "/usr/lib/postgresql/*/bin; install PostgreSQL (Debian: apt-get install postgresql) or set " + AdminVariable + " to an admin connection string.");
                var initdb = Path.Combine(bin, Executable("initdb"));
                _pgCtl = Path.Combine(bin, Executable("pg_ctl"));

                // PostgreSQL will not run as root: then run it as the postgres OS user, in a folder that user owns.
                _runAs = IsRoot() ? ServiceUser : null;
                if (_runAs != null && !UserExists(_runAs))
                    throw new ServerUnavailableException(Problem + "running as root, and there is no '" + ServiceUser + "' OS user to run the server as " +
                        "(PostgreSQL refuses to run as root); create one or set " + AdminVariable + ".");

                // /tmp when switching users: the process's temp folder may not be reachable by the postgres user.
                var tempBase = _runAs != null && Directory.Exists("/tmp") ? "/tmp" : Path.GetTempPath();
                _root = Path.Combine(tempBase, "engram-pg-" + Guid.NewGuid().ToString("N").Substring(0, 12));
                Directory.CreateDirectory(_root);
                if (_runAs != null) Run("chown", new[] { _runAs, _root }, asServiceUser: false);
                var data = Path.Combine(_root, "data");
                _watchdog = StartWatchdog(_root, data);
                AppDomain.CurrentDomain.ProcessExit += (_, __) => Stop();

                Run(initdb, new[] { "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync" }, asServiceUser: true);

                var log = Path.Combine(_root, "server.log");
                string? lastFailure = null;
                for (int attempt = 0; attempt < 3; attempt++)
                {
                    int port = FreeLoopbackPort();
                    var options = "-c listen_addresses=127.0.0.1 -p " + port +
                        (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "" : " -k " + _root) +
                        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
                    var (exit, output) = Run(_pgCtl, new[] { "start", "-D", data, "-l", log, "-w", "-t", "60", "-o", options }, asServiceUser: true, throwOnFailure: false);
                    if (exit == 0) return "Host=127.0.0.1;Port=" + port + ";Username=postgres;Database=postgres";
                    lastFailure = output + Environment.NewLine + Tail(log);
                    // Someone may have taken the port between the probe and the start: another port.
                    Run(_pgCtl, new[] { "stop", "-D", data, "-m", "immediate", "-w" }, asServiceUser: true, throwOnFailure: false);
                }
                throw new ServerUnavailableException(Problem + "pg_ctl start failed (" + _pgCtl + ", cluster in " + _root + "):" + Environment.NewLine + lastFailure);
            }

            /// <summary>
            /// At process exit. The test platform kills the test host moments after the run, too soon for pg_ctl: signal the
            /// postmaster to stop at once (SIGQUIT, PostgreSQL's immediate shutdown) and leave the rest to the watchdog.
            /// </summary>
            private static void Stop()
            {
                var root = _root;
                if (root == null || _pgCtl == null) return;
                _root = null;
                var data = Path.Combine(root, "data");
                try
                {
                    if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && TryReadPostmasterPid(data) is int pid)
                        _ = Kill(pid, SigQuit); // best effort: the server may be gone already
                    if (_watchdog) return;
                    if (File.Exists(Path.Combine(data, "postmaster.pid")))
                        Run(_pgCtl, new[] { "stop", "-D", data, "-m", "immediate", "-w", "-t", "30" }, asServiceUser: true, throwOnFailure: false);
                    Directory.Delete(root, recursive: true);
                }
                catch (Exception)
                {
                    // Process exit: nothing to report to.
                }
            }

            private static int? TryReadPostmasterPid(string data)
            {
                try
                {
                    var first = File.ReadLines(Path.Combine(data, "postmaster.pid")).FirstOrDefault();
                    return int.TryParse(first?.Trim(), out var pid) && pid > 0 ? pid : (int?)null;
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    return null;
                }
            }

            private const int SigQuit = 3;

            [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
            private static extern int Kill(int pid, int signal);

            /// <summary>
            /// A detached shell that outlives this process however it ends (even killed): once this process is gone, it stops
            /// the server (pg_ctl stop -m immediate; a no-op if the exit handler already did) and deletes the cluster's folder.
            /// Its standard streams go to /dev/null at once, so it holds no pipe of the test platform open. Stop and the
            /// folder's removal take about a second after this process ends (the watchdog polls once a second).
            /// </summary>
            private static bool StartWatchdog(string root, string data)
            {
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) || !File.Exists("/bin/sh")) return false;
                var (stopFile, stopArguments) = Command(_pgCtl!, new[] { "stop", "-D", data, "-m", "immediate", "-w", "-t", "30" }, asServiceUser: true);
                var start = new ProcessStartInfo { FileName = "/bin/sh", UseShellExecute = false, WorkingDirectory = "/" };
                // In a background subshell, so that it is not even this process's child (a process-tree kill would reach it).
                const string script =
                    "( exec </dev/null >/dev/null 2>&1; pid=$1; root=$2; shift 2; " +
                    "while kill -0 \"$pid\" 2>/dev/null; do sleep 1; done; " +
                    "if [ -f \"$root/data/postmaster.pid\" ]; then \"$@\"; fi; rm -rf \"$root\" ) &";
                foreach (var a in new[] { "-c", script, "engram-pg-watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), root, stopFile }.Concat(stopArguments))
                    start.ArgumentList.Add(a);
                try
                {
                    using (var launcher = Process.Start(start))
                        return launcher != null && launcher.WaitForExit(10000) && launcher.ExitCode == 0;
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    return false; // the exit handler stops the server instead
                }
            }

            /// <summary>The folder holding both initdb and pg_ctl: PATH first, then the newest /usr/lib/postgresql/&lt;n&gt;/bin.</summary>
            private static string? FindBinaries()
            {
                var candidates = new List<string>();
                candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Where(p => p.Length > 0));
                foreach (var parent in new[] { "/usr/lib/postgresql", "/usr/pgsql", "/opt/homebrew/opt", "/usr/local/opt" })
                {
                    if (!Directory.Exists(parent)) continue;
                    candidates.AddRange(Directory.GetDirectories(parent)
                        .OrderByDescending(d => VersionOf(Path.GetFileName(d)))
                        .Select(d => Path.Combine(d, "bin")));
                }
                candidates.AddRange(Directory.Exists("/usr/local/pgsql/bin") ? new[] { "/usr/local/pgsql/bin" } : Array.Empty<string>());
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    var programFiles = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "PostgreSQL");
                    if (Directory.Exists(programFiles))
                        candidates.AddRange(Directory.GetDirectories(programFiles).OrderByDescending(d => VersionOf(Path.GetFileName(d))).Select(d => Path.Combine(d, "bin")));
                }
                return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, Executable("initdb"))) && File.Exists(Path.Combine(d, Executable("pg_ctl"))));
            }

            private static double VersionOf(string folderName)
            {
                var digits = new string(folderName.SkipWhile(c => !char.IsDigit(c)).TakeWhile(c => char.IsDigit(c) || c == '.').ToArray());
                return double.TryParse(digits, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : 0;
            }

            private static string Executable(string name) => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? name + ".exe" : name;

            private static int FreeLoopbackPort()
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
                finally { listener.Stop(); }
            }

            [DllImport("libc", EntryPoint = "geteuid")]
            private static extern uint GetEffectiveUserId();

            private static bool IsRoot()
            {
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return false;
                try { return GetEffectiveUserId() == 0; }
                catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException) { return Environment.UserName == "root"; }
            }

            private static bool UserExists(string user) => Run("id", new[] { "-u", user }, asServiceUser: false, throwOnFailure: false).exit == 0;

            /// <summary>Runs a command (as the service user when <paramref name="asServiceUser"/> and one is needed) and returns its exit code and output.</summary>
            private static (int exit, string output) Run(string file, IReadOnlyList<string> arguments, bool asServiceUser, bool throwOnFailure = true)
            {
                var (fileName, argumentList) = Command(file, arguments, asServiceUser);
                var start = new ProcessStartInfo
                {
                    FileName = fileName, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
                    WorkingDirectory = _root != null && Directory.Exists(_root) ? _root : Path.GetTempPath(),
                };
                foreach (var a in argumentList) start.ArgumentList.Add(a);

                var commandLine = start.FileName + " " + string.Join(" ", start.ArgumentList);
                Process process;
                try { process = Process.Start(start) ?? throw new InvalidOperationException("no process"); }
                catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is InvalidOperationException)
                {
                    if (!throwOnFailure) return (-1, e.Message);
                    throw new ServerUnavailableException(Problem + "cannot run '" + commandLine + "': " + e.Message, e);
                }
                using (process)
                {
                    var output = new StringBuilder();
                    process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
                    process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
                    process.BeginOutputReadLine();
                    process.BeginErrorReadLine();
                    if (!process.WaitForExit((int)CommandTimeout.TotalMilliseconds))
                    {
                        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                        if (!throwOnFailure) return (-1, "timed out");
                        throw new ServerUnavailableException(Problem + "'" + commandLine + "' did not finish within " + CommandTimeout.TotalSeconds + " s:" + Environment.NewLine + output);
                    }
                    process.WaitForExit(); // flushes the asynchronous readers
                    string text;
                    lock (output) text = output.ToString();
                    if (process.ExitCode != 0 && throwOnFailure)
                        throw new ServerUnavailableException(Problem + "'" + commandLine + "' exited with " + process.ExitCode + ":" + Environment.NewLine + text);
                    return (process.ExitCode, text);
                }
            }

            /// <summary>The program and arguments that run <paramref name="file"/>, as the service user when one is needed.</summary>
            private static (string file, List<string> arguments) Command(string file, IReadOnlyList<string> arguments, bool asServiceUser)
            {
                if (!asServiceUser || _runAs == null) return (file, arguments.ToList());
                var runuser = new[] { "/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser" }.FirstOrDefault(File.Exists);
                if (runuser != null) return (runuser, new[] { "-u", _runAs, "--", file }.Concat(arguments).ToList());
                // No runuser (not util-linux): su, through a shell.
                return ("su", new List<string> { _runAs, "-s", "/bin/sh", "-c", string.Join(" ", new[] { file }.Concat(arguments).Select(ShellQuote)) });
            }

            private static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

            private static string Tail(string path)
            {
                try
                {
                    if (!File.Exists(path)) return "";
                    var lines = File.ReadAllLines(path);
                    return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - 20)));
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    return "";
                }
            }
        }
    }
}
