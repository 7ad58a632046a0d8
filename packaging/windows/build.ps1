# Builds Purser's Windows installer (NSIS, .exe) with the Tauri bundler.
# NOT TESTED: this project has no Windows build machine. See packaging/README.md.
#
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#
# Needs: Rust (MSVC toolchain), Node.js 20.19+, Visual Studio Build Tools with CMake, Perl
# (Strawberry Perl, for OpenSSL), and — until the lead's Cargo.toml change lands — see
# "Windows" in packaging/README.md (librdkafka builds on Windows only with rdkafka's
# `cmake-build` feature). The bundler downloads NSIS and the WebView2 offline installer the
# first time, so the build machine needs the internet; the till does not.
$ErrorActionPreference = 'Stop'
$root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $root
$target = if ($env:CARGO_TARGET_DIR) { $env:CARGO_TARGET_DIR } else { "$root\target" }
$env:CARGO_TARGET_DIR = $target
# The installed till must not need OpenSSL DLLs from the build machine.
$env:OPENSSL_STATIC = '1'
$triple = ((rustc -vV) | Select-String '^host: ').ToString().Substring(6).Trim()

Write-Host '[package] 1/4 UI: ui\dist'
Push-Location ui
if (-not (Test-Path node_modules)) { npm ci --no-audit --no-fund; if ($LASTEXITCODE) { throw 'npm ci failed' } }
npm run build; if ($LASTEXITCODE) { throw 'UI build failed' }
Pop-Location

Write-Host '[package] 2/4 the purser command-line tool'
cargo build --release --locked -p purser-cli; if ($LASTEXITCODE) { throw 'cargo build failed' }
New-Item -ItemType Directory -Force packaging\stage | Out-Null
# bundle.externalBin "../packaging/stage/purser" → purser-<triple>.exe, installed as purser.exe
Copy-Item "$target\release\purser.exe" "packaging\stage\purser-$triple.exe" -Force

Write-Host '[package] 3/4 tauri build --bundles nsis'
& ui\node_modules\.bin\tauri.cmd build --ci --bundles nsis -- --locked
if ($LASTEXITCODE) { throw 'tauri build failed' }

Write-Host '[package] 4/4 packages:'
Get-ChildItem "$target\release\bundle\nsis\*.exe" | ForEach-Object { Write-Host "  $($_.FullName)  ($([math]::Round($_.Length / 1MB)) MiB)" }
