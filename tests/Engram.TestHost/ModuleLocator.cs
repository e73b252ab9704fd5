using System;
using System.Collections.Generic;
using System.IO;

namespace Engram.Host
{
    /// <summary>Finds the staged module (out/Engram/Engram.psd1) that <c>dotnet build</c> produces.</summary>
    public static class ModuleLocator
    {
        /// <summary>Overrides discovery: path to Engram.psd1 or to the folder that holds it.</summary>
        public const string ModulePathVariable = "ENGRAM_MODULE_PATH";

        public const string SolutionFileName = "Engram.PowerShell.sln";
        public const string ManifestFileName = "Engram.psd1";
        public const string ModuleAssemblyFileName = "Engram.PowerShell.dll";

        /// <summary>
        /// Returns the full path of the staged Engram.psd1. Honours <c>ENGRAM_MODULE_PATH</c>; otherwise walks up
        /// from the application folder and then from the current directory to the folder containing
        /// Engram.PowerShell.sln and returns its out/Engram/Engram.psd1.
        /// </summary>
        /// <exception cref="FileNotFoundException">No usable module was found (the message says what to do).</exception>
        public static string FindModuleManifest()
        {
            string? overridePath = Environment.GetEnvironmentVariable(ModulePathVariable);
            if (!string.IsNullOrWhiteSpace(overridePath))
            {
                return ResolveManifest(overridePath!, "the " + ModulePathVariable + " environment variable");
            }

            string? root = FindRepositoryRoot();
            if (root is null)
            {
                throw new FileNotFoundException(
                    "Cannot find the Engram module: no folder containing " + SolutionFileName + " above '" +
                    AppContext.BaseDirectory + "' or '" + Directory.GetCurrentDirectory() + "'. Run from the repository, " +
                    "or set " + ModulePathVariable + " to the path of Engram.psd1.");
            }

            string manifest = Path.Combine(root, "out", "Engram", ManifestFileName);
            EnsureBuilt(manifest, root);
            return manifest;
        }

        /// <summary>
        /// Validates an explicit module path (Engram.psd1 itself or its folder) and returns the manifest's full path.
        /// </summary>
        public static string ResolveManifest(string path, string source = "the given module path")
        {
            string full = Path.GetFullPath(path);
            if (Directory.Exists(full)) full = Path.Combine(full, ManifestFileName);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException(
                    "The Engram module manifest '" + full + "' (from " + source + ") does not exist. " +
                    "Build the module with 'dotnet build -c Release' or fix the path.", full);
            }
            return full;
        }

        /// <summary>The nearest folder containing Engram.PowerShell.sln above the app folder or the current directory.</summary>
        public static string? FindRepositoryRoot()
        {
            foreach (string start in StartFolders())
            {
                for (DirectoryInfo? dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                {
                    if (File.Exists(Path.Combine(dir.FullName, SolutionFileName))) return dir.FullName;
                }
            }
            return null;
        }

        private static IEnumerable<string> StartFolders()
        {
            yield return AppContext.BaseDirectory;
            yield return Directory.GetCurrentDirectory();
        }

        private static void EnsureBuilt(string manifest, string root)
        {
            string assembly = Path.Combine(Path.GetDirectoryName(manifest)!, ModuleAssemblyFileName);
            if (!File.Exists(manifest) || !File.Exists(assembly))
            {
                throw new FileNotFoundException(
                    "The Engram module has not been built: '" + (File.Exists(manifest) ? assembly : manifest) + "' is missing. " +
                    "Run 'dotnet build -c Release' in '" + root + "' first.", manifest);
            }
        }
    }
}
