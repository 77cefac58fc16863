/* main.c - placeholder entry of llmio-mock until the server lands. */
#include <stdio.h>
int main(void)
{
    fprintf(stderr, "llmio-mock: not built yet\n");
    return 1;
}
