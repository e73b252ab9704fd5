# Install like users install: build.ps1 -Publish (Publish-PSResource to a local folder repository), then a fresh pwsh
# with an empty module path and its own home registers that repository, runs Install-PSResource Engram, imports the
# installed module and runs examples/quickstart.ps1.
BeforeAll {
    . (Join-Path $PSScriptRoot 'TestSetup.ps1')
    $version = (Import-PowerShellDataFile (Join-Path $script:RepoRoot 'Engram.psd1')).ModuleVersion
    $repository = Join-Path $TestDrive 'repo'
    $userHome = Join-Path $TestDrive 'home'
    $modulePath = Join-Path $TestDrive 'modules'
    New-Item -ItemType Directory -Path $userHome, $modulePath | Out-Null
    $realHome = [Environment]::GetFolderPath('UserProfile')
    # pwsh's user state (modules, PSResourceGet's repository list) goes to the temp home; dotnet's own (the pwsh tool
    # package, first-run marker) stays where it is.
    $isolated = @{
        HOME            = $userHome
        XDG_DATA_HOME   = Join-Path $userHome '.local/share'
        XDG_CONFIG_HOME = Join-Path $userHome '.config'
        XDG_CACHE_HOME  = Join-Path $userHome '.cache'
        PSModulePath    = $modulePath
        DOTNET_CLI_HOME = $realHome
        NUGET_PACKAGES  = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $realHome '.nuget/packages' }
        ENGRAM_STORE    = Join-Path $TestDrive 'store'
    }
    # Not created here: build.ps1 -Publish must make them (for a missing one .NET's GetFolderPath gives '' and
    # PSResourceGet would keep its repository list in a relative 'PSResourceGet' folder of the current directory).
    # The install script, a plain user session, runs after build.ps1 made them.

    $published = Invoke-TestPwsh -File 'build.ps1' -ArgumentList '-SkipBuild', '-SkipTests', '-Publish', '-RepositoryPath', $repository -Environment $isolated
    $repositoriesAfterPublish = Invoke-TestPwsh -File (New-Item (Join-Path $TestDrive 'list.ps1') -Value '(Get-PSResourceRepository).Name -join ","').FullName -Environment $isolated

    $installScript = Join-Path $TestDrive 'install.ps1'
    Set-Content -LiteralPath $installScript -Value @'
param([string] $Repository, [string] $Quickstart)
$ErrorActionPreference = 'Stop'
"available before: $(@(Get-Module Engram -ListAvailable).Count)"
Register-PSResourceRepository -Name EngramLocal -Uri $Repository -Trusted
Install-PSResource -Name Engram -Repository EngramLocal -Scope CurrentUser
$installed = Get-InstalledPSResource -Name Engram
"installed: $($installed.Version) at $($installed.InstalledLocation)"
$module = Import-Module Engram -PassThru
"imported: $($module.Version) from $($module.ModuleBase)"
& $Quickstart
'@
    $installed = Invoke-TestPwsh -File $installScript -ArgumentList $repository, (Join-Path $script:RepoRoot 'examples/quickstart.ps1') -Environment $isolated
    $installedBase = Join-Path $userHome ".local/share/powershell/Modules/Engram/$version"
}

Describe 'Publish-PSResource and Install-PSResource' {
    It 'build.ps1 -Publish writes the package to the folder repository' {
        $published.Errors | Should -BeNullOrEmpty
        $published.ExitCode | Should -Be 0
        Join-Path $repository "Engram.$version.nupkg" | Should -Exist
    }

    It 'build.ps1 -Publish leaves the user''s repository list as it was' {
        $repositoriesAfterPublish.ExitCode | Should -Be 0
        $repositoriesAfterPublish.Output | Should -Not -Match 'EngramLocal'
        Join-Path $isolated.XDG_DATA_HOME 'PSResourceGet' | Should -Exist
        Join-Path $script:RepoRoot 'PSResourceGet' | Should -Not -Exist
        Join-Path $script:RepoRoot 'NuGet' | Should -Not -Exist
    }

    It 'starts from a module path without Engram' {
        $installed.Output | Should -Match 'available before: 0'
    }

    It 'installs Engram with Install-PSResource into the user''s modules' {
        $installed.Errors | Should -BeNullOrEmpty
        $installed.ExitCode | Should -Be 0
        $installed.Output | Should -Match ([regex]::Escape("imported: $version from $installedBase"))
        Join-Path $installedBase 'Engram.psd1' | Should -Exist
        Join-Path $installedBase 'LICENSE' | Should -Exist
    }

    It 'installs no PowerShell SDK assembly with the module' {
        Get-ChildItem -LiteralPath $installedBase -Recurse -File |
            Where-Object Name -Match '^(Microsoft\.PowerShell\.|Microsoft\.Management\.Infrastructure|System\.Management\.Automation)' |
            Should -BeNullOrEmpty
    }

    It 'runs the quick start with the installed module' {
        $installed.Output | Should -Match 'port \+ 1 = 8081'
        $installed.Output | Should -Match 'merged: deploy-target'
        $installed.Output | Should -Match 'healthy: True; memories: 3'
    }
}
