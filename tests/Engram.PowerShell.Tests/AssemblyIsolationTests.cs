using System.Linq;
using Xunit;
using static Engram.PowerShell.Tests.PSAssert;

namespace Engram.PowerShell.Tests
{
    /// <summary>
    /// The module keeps its YamlDotNet in a private AssemblyLoadContext, so a session that already loaded another
    /// YamlDotNet (as powershell-yaml does) still works. This test host's default context has YamlDotNet 16.3 (the
    /// test project references it); the module was built against 18.x and could not bind to 16 there.
    /// </summary>
    public sealed class AssemblyIsolationTests : PowerShellTestBase
    {
        public AssemblyIsolationTests(PowerShellFixture fixture) : base(fixture) { }

        [Fact]
        public void ADifferentYamlDotNetLoadedFirst_DoesNotBreakTheModule()
        {
            var r = Run(@"
                # What another module (powershell-yaml) does: load its own YamlDotNet (16.x here) into the default context.
                $other = [System.Reflection.Assembly]::Load('YamlDotNet')
                $builder = $other.GetType('YamlDotNet.Serialization.SerializerBuilder', $true)
                $null = $builder::new().Build().Serialize(@{ from = 'other module' })
                Set-EngramMemory -Store $store -Namespace shared -Key cfg -Value @{ port = 8080; hosts = @('a', 'b') }
                $m = Get-EngramMemory -Store $store -Namespace shared -Key cfg
                $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Engram.Core' }
                $coreContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($core)
                $ours = $coreContext.Assemblies | Where-Object { $_.GetName().Name -eq 'YamlDotNet' }
                [pscustomobject]@{
                    OtherVersion   = $other.GetName().Version.Major
                    OtherContext   = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($other).Name
                    OursVersion    = $ours.GetName().Version.Major
                    OursContext    = $coreContext.GetType().Name
                    Port           = $m.Value.port
                    Hosts          = $m.Value.hosts.Count
                }");
            AssertNoErrors(r);
            var o = r.Output.Single();
            Assert.Equal(16, (int)o.Properties["OtherVersion"].Value);
            Assert.Equal("Default", (string)o.Properties["OtherContext"].Value);
            Assert.Equal(18, (int)o.Properties["OursVersion"].Value);
            Assert.Equal("EngramLoadContext", (string)o.Properties["OursContext"].Value);
            Assert.Equal(8080, (int)o.Properties["Port"].Value);
            Assert.Equal(2, (int)o.Properties["Hosts"].Value);
        }

        [Fact]
        public void TheModuleFolder_HoldsNoPowerShellAssembly()
        {
            // The tests host Microsoft.PowerShell.SDK (test-only; it brings Windows-only packages under Microsoft's own
            // terms). Nothing of it, nor System.Management.Automation, may be staged with the module.
            var dir = System.IO.Path.GetDirectoryName(Fixture.ManifestPath)!;
            var files = System.IO.Directory.EnumerateFiles(dir, "*", System.IO.SearchOption.AllDirectories)
                .Select(f => System.IO.Path.GetFileName(f)).ToList();
            Assert.Contains("Engram.PowerShell.dll", files);
            Assert.Contains("YamlDotNet.dll", files);
            var offending = files.Where(f =>
                f.StartsWith("Microsoft.PowerShell.", System.StringComparison.OrdinalIgnoreCase) ||
                f.StartsWith("Microsoft.Management.Infrastructure", System.StringComparison.OrdinalIgnoreCase) ||
                f.StartsWith("System.Management.Automation", System.StringComparison.OrdinalIgnoreCase) ||
                f.StartsWith("Microsoft.WSMan.", System.StringComparison.OrdinalIgnoreCase) ||
                f.StartsWith("pwsh", System.StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(offending.Count == 0, "PowerShell assemblies in the module folder: " + string.Join(", ", offending));
        }

        [Fact]
        public void TheModuleFolder_KeepsDependenciesOutOfPowerShellsSight()
        {
            var dir = System.IO.Path.GetDirectoryName(Fixture.ManifestPath)!;
            Assert.False(System.IO.File.Exists(System.IO.Path.Combine(dir, "YamlDotNet.dll")));
            Assert.False(System.IO.File.Exists(System.IO.Path.Combine(dir, "Engram.Core.dll")));
            Assert.True(System.IO.File.Exists(System.IO.Path.Combine(dir, "Dependencies", "YamlDotNet.dll")));
            Assert.True(System.IO.File.Exists(System.IO.Path.Combine(dir, "Dependencies", "Engram.Core.dll")));
        }
    }
}
