using System.Linq;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// The SQL backends run from the staged module: their libraries (Microsoft.Data.Sqlite, SQLitePCLRaw, Npgsql and
    /// theirs) come from out/Engram/Dependencies/ into the module's private load context, and SQLite's native library
    /// from Dependencies/runtimes/&lt;rid&gt;/native/ (EngramLoadContext.LoadUnmanagedDll). Nothing of it is referenced by
    /// this test project, so what loads here is what a user's PowerShell would load.
    /// </summary>
    public sealed class BackendLoadingTests : PowerShellTestBase
    {
        public BackendLoadingTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void ASqliteStore_WorksFromTheStagedModule()
        {
            var r = Run(@"
                $location = ""sqlite:$testRoot/s.db""
                $null = Initialize-EngramStore -Store $location
                Set-EngramMemory -Store $location -Namespace agent -Key greeting -Value @{ text = 'hello'; n = 3 }
                $m = Get-EngramMemory -Store $location -Namespace agent -Key greeting
                [pscustomobject]@{ Text = $m.Value.text; N = $m.Value.n; DbExists = [System.IO.File]::Exists(""$testRoot/s.db"") }");
            AssertNoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("hello", (string)o.Properties["Text"].Value);
            Assert.Equal(3, (int)o.Properties["N"].Value);
            Assert.True((bool)o.Properties["DbExists"].Value);
        }

        /// <summary>
        /// Below the store: Microsoft.Data.Sqlite opens a database through the module's load context, with the native
        /// e_sqlite3 staged for this OS and architecture, while the framework keeps supplying what it has (System.Memory's
        /// Span, ValueTask...): the netstandard2.0 copies in Dependencies/ are for Windows PowerShell only.
        /// </summary>
        [Fact]
        public void SqliteAndItsNativeLibrary_LoadInsideTheModulesContext()
        {
            var r = Run(@"
                $null = Initialize-EngramStore -Store $store   # a file store: creates the module's load context
                $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Engram.Core' }
                $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core)
                $sqlite = $context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('Microsoft.Data.Sqlite'))
                $connection = [Activator]::CreateInstance($sqlite.GetType('Microsoft.Data.Sqlite.SqliteConnection', $true),
                    [object[]]@(""Data Source=$testRoot/probe.db""))
                try {
                    $connection.Open()
                    $command = $connection.CreateCommand()
                    $command.CommandText = 'CREATE TABLE t (v TEXT); INSERT INTO t VALUES (''x''); SELECT sqlite_version() || ''/'' || (SELECT v FROM t)'
                    $answer = $command.ExecuteScalar()
                } finally { $connection.Dispose() }
                $loaded = $context.Assemblies | ForEach-Object { $_.GetName().Name }
                $memory = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'System.Memory' }
                [pscustomobject]@{
                    Context        = $context.GetType().Name
                    SqliteContext  = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($sqlite).GetType().Name
                    Answer         = $answer
                    Provider       = $loaded -contains 'SQLitePCLRaw.provider.e_sqlite3'
                    OwnSystemMemory = $loaded -contains 'System.Memory'
                    MemoryContexts = @($memory | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name }) -join ','
                }");
            AssertNoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("EngramLoadContext", (string)o.Properties["Context"].Value);
            Assert.Equal("EngramLoadContext", (string)o.Properties["SqliteContext"].Value);
            Assert.Matches(@"^3\.\d+\.\d+/x$", (string)o.Properties["Answer"].Value);
            Assert.True((bool)o.Properties["Provider"].Value);
            Assert.False((bool)o.Properties["OwnSystemMemory"].Value);
            Assert.DoesNotContain("EngramLoadContext", (string)o.Properties["MemoryContexts"].Value);
        }

        /// <summary>Npgsql and its dependencies (logging abstractions, System.Text.Json...) resolve in the module's context.</summary>
        [Fact]
        public void Npgsql_LoadsInsideTheModulesContext()
        {
            var r = Run(@"
                $null = Initialize-EngramStore -Store $store
                $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Engram.Core' }
                $context = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core)
                $npgsql = $context.LoadFromAssemblyName([System.Reflection.AssemblyName]::new('Npgsql'))
                $connection = [Activator]::CreateInstance($npgsql.GetType('Npgsql.NpgsqlConnection', $true),
                    [object[]]@('Host=127.0.0.1;Port=1;Username=nobody;Database=nothing'))
                try { $database = $connection.Database } finally { $connection.Dispose() }
                [pscustomobject]@{
                    NpgsqlContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($npgsql).GetType().Name
                    Database      = $database
                    Logging       = ($context.Assemblies | ForEach-Object { $_.GetName().Name }) -contains 'Microsoft.Extensions.Logging.Abstractions'
                }");
            AssertNoErrors(r);
            var o = r.Output.Single();
            Assert.Equal("EngramLoadContext", (string)o.Properties["NpgsqlContext"].Value);
            Assert.Equal("nothing", (string)o.Properties["Database"].Value);
            Assert.True((bool)o.Properties["Logging"].Value);
        }

        [Fact]
        public void TheModuleFolder_StagesTheSqlLibrariesAndNativeSqlite()
        {
            var dir = System.IO.Path.GetDirectoryName(Fixture.ManifestPath)!;
            var deps = System.IO.Path.Combine(dir, "Dependencies");
            foreach (var name in new[] { "Engram.Storage.Sql", "Microsoft.Data.Sqlite", "SQLitePCLRaw.core", "SQLitePCLRaw.provider.e_sqlite3",
                         "SQLitePCLRaw.batteries_v2", "Npgsql", "Microsoft.Extensions.Logging.Abstractions", "System.Text.Json" })
            {
                Assert.True(System.IO.File.Exists(System.IO.Path.Combine(deps, name + ".dll")), name + ".dll is not in Dependencies/");
                Assert.False(System.IO.File.Exists(System.IO.Path.Combine(dir, name + ".dll")), name + ".dll is beside the module");
            }
            Assert.False(System.IO.File.Exists(System.IO.Path.Combine(deps, "System.Management.Automation.dll")));
            foreach (var (rid, file) in new[] { ("linux-x64", "libe_sqlite3.so"), ("linux-arm64", "libe_sqlite3.so"), ("osx-x64", "libe_sqlite3.dylib"),
                         ("osx-arm64", "libe_sqlite3.dylib"), ("win-x64", "e_sqlite3.dll"), ("win-arm64", "e_sqlite3.dll") })
            {
                Assert.True(System.IO.File.Exists(System.IO.Path.Combine(deps, "runtimes", rid, "native", file)), rid + "/native/" + file + " is not staged");
            }
            var topLevel = System.IO.Directory.GetFileSystemEntries(dir).Select(System.IO.Path.GetFileName).OrderBy(n => n, System.StringComparer.Ordinal).ToArray();
            Assert.Equal(new[] { "Dependencies", "Engram.Format.ps1xml", "Engram.PowerShell.dll", "Engram.psd1", "LICENSE", "en-US" }, topLevel);
        }
    }
}
