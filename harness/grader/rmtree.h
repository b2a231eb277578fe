/* rmtree.h: remove a tree, whatever its depth. */
#ifndef RMTREE_H
#define RMTREE_H

/* Remove the tree at path (a folder and all it holds, or a file or link alone), whatever its
 * depth (a run may leave thousands of nested folders, past PATH_MAX, which nftw() cannot
 * reach), never following a link nor crossing into another file system. 0 when nothing is
 * left (or there was nothing), or -errno. */
int rmtree(const char *path);

#endif
