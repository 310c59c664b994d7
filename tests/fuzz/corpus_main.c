/*
** corpus_main.c: a main() for the fuzz targets without libFuzzer, so their seed corpora run as a
** plain test program: under valgrind (make valgrind), where sanitizers cannot be used.
**
** Usage: corpus_<name> DIR...   runs LLVMFuzzerTestOneInput once on every file of each DIR
** (sorted by name), one "ok N - file" line each, then "# pass N" / "# fail N".
** Must stay true: no fork and no libFuzzer runtime, so valgrind sees every engine allocation; a
** property failure inside a target aborts (the run then fails: exit status non-zero, counts
** missing), and an unreadable file is a failure, never skipped.
*/
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(size > 0 ? (size_t)size : 1);
    size_t got = size > 0 ? fread(data, 1, (size_t)size, f) : 0;
    fclose(f);
    int ok = size >= 0 && got == (size_t)size;
    if (ok) LLVMFuzzerTestOneInput(data, got);
    free(data);
    return ok;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);   /* an abort still shows the last file */
    int n = 0, failed = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        if (!d) { printf("not ok %d - cannot open %s\n", ++n, argv[a]); failed++; continue; }
        char **names = NULL;
        size_t count = 0;
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            names = realloc(names, (count + 1) * sizeof *names);
            names[count++] = strdup(e->d_name);
        }
        closedir(d);
        qsort(names, count, sizeof *names, by_name);
        for (size_t i = 0; i < count; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], names[i]);
            int ok = run_file(path);
            printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, path);
            failed += !ok;
            free(names[i]);
        }
        free(names);
    }
    printf("# pass %d\n# fail %d\n", n - failed, failed);
    return failed ? 1 : 0;
}
